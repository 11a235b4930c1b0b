// Go's echo server for bench/echo.sh, the anchor a Go user would pick: a goroutine per connection, each echoing
// with one 4 KiB buffer (Read, then Write of what was read) until the peer closes. Go's net package sets TCP_NODELAY
// on every TCP connection by default, as the other modes of the benchmark do.
//
//	goecho --port N [--host 127.0.0.1]
//
// Prints "listening on HOST:PORT mode=go" on stdout once it accepts; on SIGTERM or SIGINT prints
// "echo-server: mode=go stopping: accepted=A closed=C errors=E" on stderr and exits 0, as samples/EchoServer does.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strconv"
	"sync/atomic"
	"syscall"
)

var accepted, closed, failures atomic.Int64

func serve(conn net.Conn) {
	defer func() {
		conn.Close()
		closed.Add(1)
	}()
	buffer := make([]byte, 4096)
	for {
		n, err := conn.Read(buffer)
		if n > 0 {
			if _, werr := conn.Write(buffer[:n]); werr != nil {
				failures.Add(1)
				return
			}
		}
		if err != nil {
			// the load generator resets its connections when it stops: that ends a connection, it is no failure
			if err != io.EOF && !errors.Is(err, syscall.ECONNRESET) {
				failures.Add(1)
			}
			return
		}
	}
}

func main() {
	port := flag.Int("port", 0, "port to listen on")
	host := flag.String("host", "127.0.0.1", "address to listen on")
	flag.Parse()

	listener, err := net.Listen("tcp", net.JoinHostPort(*host, strconv.Itoa(*port)))
	if err != nil {
		fmt.Fprintf(os.Stderr, "echo-server: mode=go: cannot listen: %v\n", err)
		os.Exit(1)
	}
	fmt.Printf("listening on %s mode=go\n", listener.Addr())

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		<-stop
		fmt.Fprintf(os.Stderr, "echo-server: mode=go stopping: accepted=%d closed=%d errors=%d\n",
			accepted.Load(), closed.Load(), failures.Load())
		os.Exit(0)
	}()

	for {
		conn, err := listener.Accept()
		if err != nil {
			failures.Add(1)
			continue
		}
		accepted.Add(1)
		go serve(conn)
	}
}
