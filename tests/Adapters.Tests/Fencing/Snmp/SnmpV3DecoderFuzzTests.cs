using System.Diagnostics;
using Haven.Adapters.Fencing.Snmp;

namespace Haven.Adapters.Tests.Fencing.Snmp;

/// <summary>
/// Mutated SNMPv3 datagrams: the v3 decoder returns a message or throws <see cref="SnmpDecodeException"/>
/// and nothing else; the USM layer never throws and never accepts an altered authentic message.
/// </summary>
public sealed class SnmpV3DecoderFuzzTests
{
    private const int Iterations = 40_000;
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(20);
    private static readonly Oid Name = Oid.Parse(".1.3.6.1.4.1.2.3.51.2.22.1.6.1.1.6.1");

    [Fact]
    public async Task Decode_MutatedV3Messages_OnlySucceedsOrThrowsDecodeException()
    {
        byte[][] seeds = [SnmpV3Codec.Encode(SnmpV3CodecTests.Plain()), SnmpV3Codec.Encode(SnmpV3CodecTests.Encrypted()),
            SnmpV3Codec.Encode(SnmpV3CodecTests.Plain(SnmpPduType.Report, SnmpV3Flags.None)), UsmSession.DiscoveryRequest(5, 6)];
        var (accepted, rejected) = await Run(seed: 3, random =>
        {
            var input = SnmpDecoderFuzzTests.Mutate(random, seeds[random.Next(seeds.Length)]);
            SnmpV3Message decoded;
            try
            {
                decoded = SnmpV3Codec.Decode(input);
            }
            catch (SnmpDecodeException e)
            {
                Assert.InRange(e.Offset, 0, input.Length);
                return false;
            }
            catch (Exception e)
            {
                Assert.Fail($"input {Convert.ToHexString(input)} threw {e.GetType().Name}: {e.Message}");
                throw;
            }

            Assert.Equal(decoded, SnmpV3Codec.Decode(SnmpV3Codec.Encode(decoded)));
            return true;
        });
        Assert.True(accepted > 0, $"no mutated message decoded (rejected {rejected})");
        Assert.True(rejected > 0, $"no mutated message was rejected (accepted {accepted})");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Unwrap_MutatedAuthenticResponses_AreAlwaysDropped(bool priv)
    {
        var credentials = priv ? new SnmpUsmCredentials("haven", "authpass123", UsmAuthProtocol.Sha1, "privpass123")
            : new SnmpUsmCredentials("haven", "authpass123", UsmAuthProtocol.Md5, null, UsmPrivProtocol.None);
        var session = new UsmSession(credentials, TimeProvider.System);
        session.Synchronize(SnmpV3CodecTests.Engine, 4, 5000);
        var response = new SnmpPdu(SnmpPduType.Response, 9, 0, 0, [new VarBind(Name, new SnmpOctetString("node01")), new VarBind(Name.Append(2), new SnmpInteger(1))]);
        var original = session.Wrap(response, 77);
        var intact = session.Unwrap(original);
        Assert.Equal(UsmInboundKind.Accepted, intact.Kind);
        Assert.Equal(response, intact.Pdu);

        var (dropped, _) = await Run(seed: priv ? 4 : 5, random =>
        {
            var input = SnmpDecoderFuzzTests.Mutate(random, original);
            if (input.AsSpan().SequenceEqual(original))
            {
                return false;
            }

            var inbound = session.Unwrap(input);
            Assert.True(inbound.Kind == UsmInboundKind.Dropped, $"an altered message was {inbound.Kind}: {Convert.ToHexString(input)}");
            return true;
        });
        Assert.True(dropped > 0);
    }

    private static async Task<(int True, int False)> Run(int seed, Func<Random, bool> step)
    {
        return await Task.Run(() =>
        {
            var random = new Random(seed);
            var clock = Stopwatch.StartNew();
            var counts = (True: 0, False: 0);
            for (var i = 0; i < Iterations && clock.Elapsed < Budget; i++)
            {
                if (step(random))
                {
                    counts.True++;
                }
                else
                {
                    counts.False++;
                }
            }

            return counts;
        }).WaitAsync(Budget + TimeSpan.FromSeconds(30));
    }
}
