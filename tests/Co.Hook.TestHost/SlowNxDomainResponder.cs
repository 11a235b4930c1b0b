using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

/// <summary>
/// A DNS server on 127.0.0.1:53 (UDP) that answers every query "no such name" (NXDOMAIN, rcode 3) after a fixed delay,
/// each query on its own clock, so concurrent queries are all answered one delay after they arrived. It runs on a
/// dedicated plain thread — not the thread pool, not a coroutine — so neither the hooks nor the pool's growth shape its
/// answers. For a private network namespace only: port 53 of the machine's loopback is not the tests' to take.
/// </summary>
internal sealed class SlowNxDomainResponder : IDisposable
{
    private const int HeaderLength = 12;
    private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
    private readonly int _delayMs;
    private readonly Thread _thread;
    private volatile bool _stopping;
    private int _answered;

    public SlowNxDomainResponder(int delayMs)
    {
        _delayMs = delayMs;
        _socket.Bind(new IPEndPoint(IPAddress.Loopback, 53));
        _thread = new Thread(Serve) { IsBackground = true, Name = "slow NXDOMAIN responder" };
        _thread.Start();
    }

    /// <summary>Queries answered so far.</summary>
    public int Answered => Volatile.Read(ref _answered);

    public void Dispose()
    {
        _stopping = true;
        _thread.Join();
        _socket.Dispose();
    }

    private void Serve()
    {
        var clock = Stopwatch.StartNew();
        var pending = new List<(long DueMs, byte[] Reply, EndPoint To)>();
        var buffer = new byte[1500];
        while (!_stopping)
        {
            long waitMs = pending.Count == 0 ? 50 : Math.Max(0, pending.Min(p => p.DueMs) - clock.ElapsedMilliseconds);
            if (_socket.Poll((int)(waitMs * 1000), SelectMode.SelectRead))
            {
                EndPoint from = new IPEndPoint(IPAddress.Any, 0);
                int length = _socket.ReceiveFrom(buffer, ref from);
                if (NxDomainReply(buffer.AsSpan(0, length)) is { } reply)
                {
                    pending.Add((clock.ElapsedMilliseconds + _delayMs, reply, from));
                }
            }

            long now = clock.ElapsedMilliseconds;
            for (int i = pending.Count - 1; i >= 0; i--)
            {
                if (pending[i].DueMs <= now)
                {
                    _socket.SendTo(pending[i].Reply, pending[i].To);
                    pending.RemoveAt(i);
                    Interlocked.Increment(ref _answered);
                }
            }
        }
    }

    /// <summary>The reply to a one-question query: its id and question, QR and RA set, opcode and RD kept, rcode 3,
    /// no records (an EDNS record of the query is dropped, as a server without EDNS does); null for anything else.</summary>
    private static byte[]? NxDomainReply(ReadOnlySpan<byte> query)
    {
        if (query.Length < HeaderLength || query[4] != 0 || query[5] != 1)
        {
            return null;
        }

        int end = HeaderLength;
        while (end < query.Length && query[end] != 0)
        {
            end += query[end] + 1; // a label: its length, then its bytes
        }

        end += 1 + 4; // the root label, then QTYPE and QCLASS
        if (end > query.Length)
        {
            return null;
        }

        byte[] reply = query[..end].ToArray();
        reply[2] = (byte)(0x80 | (query[2] & 0x79)); // QR, opcode and RD of the query
        reply[3] = 0x80 | 3; // RA, rcode NXDOMAIN
        reply.AsSpan(6, 6).Clear(); // no answer, authority or additional records
        return reply;
    }
}
