// libpq from many coroutines, two ways: "coroutineized" — libpq's own asynchronous API (PQconnectPoll, PQsendQuery,
// PQconsumeInput, PQisBusy, PQgetResult) driven by IoEvent on PQsocket, which co prefers where a library offers one —
// and hooked — the blocking PQexec with Co.Hooks.Enable(). Each way runs in a child process of this program.
using Coroutineize;
using Co.Samples;
using Coroutineize.Running;

Options options;
try
{
    options = Options.Parse(args);
}
catch (FormatException problem)
{
    Console.Error.WriteLine($"Coroutineize: {problem.Message}\n{Options.Usage}");
    return 2;
}

if (options.Help)
{
    Console.WriteLine(Options.Usage);
    return 0;
}

if (options.Way is not null)
{
    return Child.Run(options);
}

using LocalPostgres postgres = LocalPostgres.Resolve(options.Pg, mayStart: true);
if (postgres.ConnInfo is null)
{
    Console.Error.WriteLine($"Coroutineize needs a PostgreSQL server: {postgres.Note}.\n"
        + "Pass --pg \"host=... port=... user=... dbname=...\" or set CO_TEST_PG (tests/services/postgres.sh start prints one).");
    return 2;
}

Console.WriteLine($"Coroutineize: libpq from {options.Clients} client coroutines (one connection each) on {options.Schedulers} schedulers; "
    + "each way in a child process of its own, the coroutineized ones with no hooks");
Console.WriteLine($"PostgreSQL: {postgres.ConnInfo} ({postgres.Note})");
return options.Bench ? Bench.Run(options, postgres.ConnInfo) : Demo.Run(options, postgres.ConnInfo);
