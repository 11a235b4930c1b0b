// The README's main demo: unmodified third-party clients (System.Net.Sockets, HttpClient, SslStream, Npgsql, libcurl,
// libpq, raw libc) making blocking calls from many coroutines on one scheduler: with Co's hooks, with the
// blocked-scheduler monitor alone, and with neither.
using ThirdPartyClients;

Options options;
try
{
    options = Options.Parse(args);
}
catch (FormatException problem)
{
    Console.Error.WriteLine($"ThirdPartyClients: {problem.Message}\n{Options.Usage}");
    return 2;
}

if (options.Help)
{
    Console.WriteLine(Options.Usage);
    return 0;
}

return options.Mode is { } mode ? OneMode.Run(options, mode) : AllModes.Run(options);
