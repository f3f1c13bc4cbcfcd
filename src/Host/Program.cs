using Haven.Host.Cli;

return await HavenCli.RunAsync(args, Console.Out, Console.Error);
