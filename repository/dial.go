package repository

import (
	"context"
	"net"
	"time"
)

// Connection timeouts. A database behind a network that drops packets, or
// a server that stops answering, must show up as an error the daemon can
// report and retry, not as a worker blocked for ever.
const (
	dialTimeout = 10 * time.Second
	// ioTimeout bounds each wait for the server. Lock waits are cut into
	// turns well within it (see xactLock).
	ioTimeout = 2 * time.Minute
)

// dialer gives every connection a dial timeout, TCP keep-alives, and a
// deadline on each read and write.
type dialer struct {
	net.Dialer
}

func newDialer() *dialer {
	return &dialer{net.Dialer{
		Timeout: dialTimeout,
		KeepAliveConfig: net.KeepAliveConfig{
			Enable: true, Idle: 30 * time.Second, Interval: 10 * time.Second, Count: 3,
		},
	}}
}

func (d *dialer) Dial(network, address string) (net.Conn, error) {
	return d.DialContext(context.Background(), network, address)
}

func (d *dialer) DialTimeout(network, address string, timeout time.Duration) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return d.DialContext(ctx, network, address)
}

func (d *dialer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	c, err := d.Dialer.DialContext(ctx, network, address)
	if err != nil {
		return nil, err
	}
	return &deadlineConn{Conn: c}, nil
}

// deadlineConn fails a read or write that waits longer than ioTimeout.
type deadlineConn struct {
	net.Conn
}

func (c *deadlineConn) Read(p []byte) (int, error) {
	if err := c.Conn.SetReadDeadline(time.Now().Add(ioTimeout)); err != nil {
		return 0, err
	}
	return c.Conn.Read(p)
}

func (c *deadlineConn) Write(p []byte) (int, error) {
	if err := c.Conn.SetWriteDeadline(time.Now().Add(ioTimeout)); err != nil {
		return 0, err
	}
	return c.Conn.Write(p)
}
