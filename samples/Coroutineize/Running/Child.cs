using Co;
using Coroutineize.Ways;

namespace Coroutineize.Running;

/// <summary>The child process: one way, one workload, one measurement printed as a RESULT line.</summary>
internal static class Child
{
    /// <summary>Runs the child; 0 on success, 1 on failure (the reason on stderr).</summary>
    public static int Run(Options options)
    {
        try
        {
            Way way = Way.Parse(options.Way!);
            way.ApplyHooks(); // first, before any socket exists
            Workload workload = Workload.Parse(options.Workload ?? "throughput", options.ChildQueries > 0 ? options.ChildQueries : 1);
            Coroutine.Configure(o => o.SchedulerCount = options.Schedulers);
            string conninfo = options.Pg ?? throw new FormatException("a child needs --pg");
            var run = new ClientRun(options.Clients, workload);
            Measurement measurement = run.Execute(client => way.Start(run, client, conninfo));
            Console.WriteLine(measurement.ToLine());
            return 0;
        }
        catch (Exception problem)
        {
            Console.Error.WriteLine($"{options.Way} {options.Workload}: {problem.Message}");
            return 1;
        }
    }
}
