using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Co.Testing;
using Co.TestHost;
using Xunit;

namespace Co.Tests.UnderWine;

/// <summary>
/// The samples' Windows builds (published by <c>./build.sh test</c> into artifacts/wine) under Wine: co's documented
/// examples (samples/SeedExamples) run to the end, and the echo server's Co modes serve clients of this (Linux)
/// process — Wine's sockets are the host's, so 127.0.0.1 reaches the Windows program.
/// </summary>
public sealed class SamplesUnderWineTests
{
    private static readonly TimeSpan s_bound = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task SeedExamples_RunToTheEnd_UnderWine()
    {
        string executable = WineCommand.PublishedSample("SeedExamples");
        WineCommand.ForWindowsBuildOf(typeof(PortableScenarios).Assembly); // the prefix exists and Wine starts .NET
        using var process = Process.Start(Redirected(WinePrefix.StartInfo(executable)))!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        bool exited = process.WaitForExit(s_bound);
        if (!exited)
        {
            process.Kill(entireProcessTree: true);
        }

        string output = await stdout;
        Assert.True(exited && process.ExitCode == 0, $"exited {exited}, code {(exited ? process.ExitCode : -1)}\n{output}\n{await stderr}");
        Assert.Contains("12,000 coroutines", output, StringComparison.Ordinal);
        Assert.Contains("All of co's coroutine examples ran.", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("async")]
    [InlineData("sync")]
    public async Task EchoServer_CoMode_Echoes50ConnectionsOf64KiB_UnderWine(string mode)
    {
        string executable = WineCommand.PublishedSample("EchoServer");
        WineCommand.ForWindowsBuildOf(typeof(PortableScenarios).Assembly);
        ProcessStartInfo start = Redirected(WinePrefix.StartInfo(executable));
        foreach (string argument in new[] { "--mode", mode, "--port", "0", "--host", "127.0.0.1" })
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        Exception? failure = null;
        try
        {
            IPEndPoint server = await ListeningEndPoint(process);
            await Task.WhenAll(Enumerable.Range(0, 50).Select(i => EchoOnce(server, i))).WaitAsync(s_bound);
        }
        catch (Exception e)
        {
            failure = e;
        }
        finally
        {
            process.Kill(entireProcessTree: true);
        }

        Assert.True(failure is null, $"{failure}\nthe server's standard error:\n{await stderr.WaitAsync(s_bound)}");
    }

    private static ProcessStartInfo Redirected(ProcessStartInfo start)
    {
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.UseShellExecute = false;
        return start;
    }

    /// <summary>The address of the "listening on HOST:PORT mode=MODE" line the server prints when it accepts.</summary>
    private static async Task<IPEndPoint> ListeningEndPoint(Process process)
    {
        using var timeout = new CancellationTokenSource(s_bound);
        while (await process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
        {
            if (line.StartsWith("listening on ", StringComparison.Ordinal))
            {
                return IPEndPoint.Parse(line["listening on ".Length..].Split(' ')[0]);
            }
        }

        throw new InvalidOperationException("the echo server exited before it listened");
    }

    /// <summary>One connection: 64 KiB of random bytes out, the same 64 KiB back.</summary>
    private static async Task EchoOnce(IPEndPoint server, int seed)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(server);
        var payload = new byte[64 * 1024];
        new Random(seed).NextBytes(payload);
        Task send = socket.SendAsync(payload.AsMemory()).AsTask();
        var echoed = new byte[payload.Length];
        int received = 0;
        while (received < echoed.Length)
        {
            int n = await socket.ReceiveAsync(echoed.AsMemory(received));
            Assert.True(n > 0, $"connection {seed}: the server closed after {received} bytes");
            received += n;
        }

        await send;
        Assert.True(echoed.AsSpan().SequenceEqual(payload), $"connection {seed}: the echo differs");
    }
}
