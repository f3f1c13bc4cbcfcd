using System.Diagnostics;
using System.Net;
using Haven.Adapters.Fencing.Snmp;

namespace Haven.Adapters.Tests.Fencing.Snmp;

/// <summary>
/// Random and mutated datagrams: the decoder returns a message or throws <see cref="SnmpDecodeException"/>,
/// never anything else and never hangs; whatever it accepts re-encodes to an equal message.
/// </summary>
public sealed class SnmpDecoderFuzzTests
{
    private const int Iterations = 60_000;
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Decode_RandomBytes_OnlySucceedsOrThrowsDecodeException()
    {
        var stats = await Fuzz(seed: 1, random => RandomBytes(random));
        Assert.True(stats.Rejected > 0);
    }

    [Fact]
    public async Task Decode_MutatedValidMessages_OnlySucceedsOrThrowsDecodeException()
    {
        var seeds = Seeds();
        var stats = await Fuzz(seed: 2, random => Mutate(random, seeds[random.Next(seeds.Length)]));
        // Mutations land on both sides: some still decode, most do not.
        Assert.True(stats.Accepted > 0, $"no mutated message decoded ({stats})");
        Assert.True(stats.Rejected > 0, $"no mutated message was rejected ({stats})");
    }

    private static async Task<FuzzStats> Fuzz(int seed, Func<Random, byte[]> generate)
    {
        var work = Task.Run(() =>
        {
            var random = new Random(seed);
            var stats = new FuzzStats();
            var clock = Stopwatch.StartNew();
            for (var i = 0; i < Iterations && clock.Elapsed < Budget; i++)
            {
                var input = generate(random);
                SnmpMessage decoded;
                try
                {
                    decoded = SnmpCodec.Decode(input);
                }
                catch (SnmpDecodeException e)
                {
                    Assert.InRange(e.Offset, 0, Math.Max(input.Length, 0));
                    stats.Rejected++;
                    continue;
                }
                catch (Exception e)
                {
                    Assert.Fail($"input {Convert.ToHexString(input)} threw {e.GetType().Name}: {e.Message}");
                    throw;
                }

                stats.Accepted++;
                Assert.Equal(decoded, SnmpCodec.Decode(SnmpCodec.Encode(decoded)));
            }

            return stats;
        });
        return await work.WaitAsync(Budget + TimeSpan.FromSeconds(30));
    }

    private static byte[] RandomBytes(Random random)
    {
        var bytes = new byte[random.Next(0, 96)];
        random.NextBytes(bytes);
        if (bytes.Length > 2 && random.Next(2) == 0)
        {
            bytes[0] = 0x30; // get past the first check more often
        }

        return bytes;
    }

    /// <summary>One to three random edits: a byte replaced or bit-flipped, the tail cut, a byte inserted or removed, a length byte made odd.</summary>
    internal static byte[] Mutate(Random random, byte[] original)
    {
        var bytes = original.ToList();
        var edits = random.Next(1, 4);
        for (var e = 0; e < edits && bytes.Count > 0; e++)
        {
            var at = random.Next(bytes.Count);
            switch (random.Next(6))
            {
                case 0: bytes[at] = (byte)random.Next(256); break;
                case 1: bytes[at] ^= (byte)(1 << random.Next(8)); break;
                case 2: bytes.RemoveRange(at, bytes.Count - at); break;
                case 3: bytes.Insert(at, (byte)random.Next(256)); break;
                case 4: bytes.RemoveAt(at); break;
                default: bytes[at] = random.Next(4) switch { 0 => 0x80, 1 => 0x84, 2 => 0xff, _ => 0x00 }; break;
            }
        }

        return [.. bytes];
    }

    private static byte[][] Seeds()
    {
        var name = Oid.Parse(".1.3.6.1.4.1.2.3.51.2.22.1.6.1.1.6.1");
        return
        [
            SnmpCodec.Encode(SnmpCodecTests.Message(SnmpVersion.V1, SnmpPduType.GetRequest, 1, VarBind.Null(name))),
            SnmpCodec.Encode(SnmpCodecTests.Message(SnmpVersion.V2c, SnmpPduType.Response, 123456,
                new VarBind(name, new SnmpOctetString("node01")),
                new VarBind(name.Append(2), new SnmpInteger(-5)),
                new VarBind(name.Append(3), new SnmpCounter64(ulong.MaxValue)),
                new VarBind(name.Append(4), new SnmpIpAddress(IPAddress.Loopback)),
                new VarBind(name.Append(5), new SnmpObjectIdentifier(Oid.Parse("2.999.3"))),
                new VarBind(name.Append(6), SnmpException.EndOfMibView),
                new VarBind(name.Append(7), new SnmpTimeTicks(99)))),
            SnmpCodec.Encode(SnmpCodecTests.Message(SnmpVersion.V2c, SnmpPduType.SetRequest, -7, new VarBind(name, new SnmpInteger(2)))),
        ];
    }

    private sealed class FuzzStats
    {
        public int Accepted { get; set; }
        public int Rejected { get; set; }
        public override string ToString() => $"accepted {Accepted}, rejected {Rejected}";
    }
}
