package main

import (
	"context"
	"net"
	"os"
	"strconv"
	"sync"
	"time"

	"go.uber.org/zap"
)

// notifier speaks systemd's notify protocol (sd_notify(3)): a datagram to
// the socket in $NOTIFY_SOCKET. Outside a Type=notify unit it does nothing.
type notifier struct {
	socket   string
	watchdog time.Duration // 0 unless the unit sets WatchdogSec
}

func newNotifier() *notifier {
	n := &notifier{socket: os.Getenv("NOTIFY_SOCKET")}
	usec, err := strconv.ParseInt(os.Getenv("WATCHDOG_USEC"), 10, 64)
	pid := os.Getenv("WATCHDOG_PID")
	if err == nil && usec > 0 && (pid == "" || pid == strconv.Itoa(os.Getpid())) {
		n.watchdog = time.Duration(usec) * time.Microsecond
	}
	return n
}

// send tells systemd state, e.g. "READY=1". A leading @ names an abstract
// socket, which package net understands as it is.
func (n *notifier) send(state string) error {
	if n.socket == "" {
		return nil
	}
	c, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: n.socket, Net: "unixgram"})
	if err != nil {
		return err
	}
	defer c.Close()
	_, err = c.Write([]byte(state))
	return err
}

// aliveChecker is the part of the daemon the watchdog asks.
type aliveChecker interface {
	Alive(ctx context.Context) error
	Ready() <-chan struct{}
}

// run tells systemd when d is ready, pings the watchdog at half its period
// while d's loop answers, and says it is stopping when ctx ends. It
// returns a function that waits for it to finish.
func (n *notifier) run(ctx context.Context, d aliveChecker, log *zap.Logger) func() {
	if n.socket == "" {
		return func() {}
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		select {
		case <-d.Ready():
			n.report(log, "READY=1\nSTATUS=watching the inbox")
		case <-ctx.Done():
			return
		}
		var tick <-chan time.Time
		if n.watchdog > 0 {
			t := time.NewTicker(n.watchdog / 2)
			defer t.Stop()
			tick = t.C
		}
		for {
			select {
			case <-ctx.Done():
				n.report(log, "STOPPING=1\nSTATUS=finishing imports in flight")
				return
			case <-tick:
				// A stuck loop misses pings and systemd restarts the unit.
				pctx, cancel := context.WithTimeout(ctx, n.watchdog/4)
				err := d.Alive(pctx)
				cancel()
				if err == nil {
					n.report(log, "WATCHDOG=1")
				}
			}
		}
	}()
	return wg.Wait
}

func (n *notifier) report(log *zap.Logger, state string) {
	if err := n.send(state); err != nil {
		log.Warn("cannot notify systemd", zap.Error(err))
	}
}
