package daemon

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.uber.org/zap"
	"golang.org/x/sys/unix"
)

// Bounds of the HTTP endpoint: a probe answers within checkTimeout, and a
// stopping server waits httpDrain for requests in flight.
const (
	checkTimeout = 3 * time.Second
	httpDrain    = 5 * time.Second
)

// Handler serves /metrics (Prometheus), /healthz (the daemon's loop is
// running) and /readyz (it can import: database reachable and migrated,
// folders usable). A failing probe answers 503 with the reason.
func (d *Daemon) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(d.reg, promhttp.HandlerOpts{
		ErrorLog: zap.NewStdLog(d.log.Named("metrics")),
	}))
	mux.HandleFunc("GET /healthz", probeHandler(d.Alive))
	mux.HandleFunc("GET /readyz", probeHandler(d.CheckReady))
	return mux
}

func probeHandler(check func(context.Context) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), checkTimeout)
		defer cancel()
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		if err := withDeadline(ctx, check); err != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintf(w, "not ok: %v\n", err)
			return
		}
		fmt.Fprintln(w, "ok")
	}
}

// withDeadline runs check but answers by ctx's deadline even when check
// does not: a query to a database behind a dead network waits for the
// connection's own timeout, much longer than a probe may take.
func withDeadline(ctx context.Context, check func(context.Context) error) error {
	done := make(chan error, 1)
	go func() { done <- check(ctx) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return fmt.Errorf("no answer within %v", checkTimeout)
	}
}

// Alive returns nil while the daemon's loop answers, or once it is
// shutting down; an error when the loop is stuck (a hung network share) or
// not yet started.
func (d *Daemon) Alive(ctx context.Context) error {
	reply := make(chan struct{})
	select {
	case d.probe <- reply:
	case <-d.stopping:
		return nil
	case <-ctx.Done():
		return errors.New("inbox loop not answering")
	}
	<-reply
	return nil
}

// CheckReady returns nil when the daemon can import files now: it has
// started and is not stopping, the database answers and holds the current
// schema, and the folders can be listed and written. Otherwise it says why.
func (d *Daemon) CheckReady(ctx context.Context) error {
	select {
	case <-d.stopping:
		return errors.New("shutting down")
	default:
	}
	select {
	case <-d.ready:
	default:
		return errors.New("starting")
	}
	if err := d.store.CheckSchema(ctx); err != nil {
		return fmt.Errorf("database: %w", err)
	}
	if why := d.refused.Load(); why != nil {
		return fmt.Errorf("database refuses cacsd's statements: %s", *why)
	}
	for _, f := range []struct{ name, dir string }{
		{"inbox", d.cfg.Inbox}, {"processed", d.cfg.Processed}, {"failed", d.cfg.Failed},
	} {
		if err := unix.Access(f.dir, unix.R_OK|unix.W_OK|unix.X_OK); err != nil {
			return fmt.Errorf("%s folder %s: %w", f.name, f.dir, err)
		}
	}
	return nil
}

// httpServer is the running HTTP endpoint; nil when it is turned off.
type httpServer struct {
	srv  *http.Server
	done chan struct{}
}

// serveHTTP listens on the configured address, when there is one.
func (d *Daemon) serveHTTP() (*httpServer, error) {
	if d.cfg.HTTPAddr == "" {
		return nil, nil
	}
	ln, err := net.Listen("tcp", d.cfg.HTTPAddr)
	if err != nil {
		return nil, fmt.Errorf("http listen: %w", err)
	}
	h := &httpServer{
		srv: &http.Server{
			Handler:           d.Handler(),
			ReadHeaderTimeout: 5 * time.Second,
			ErrorLog:          zap.NewStdLog(d.log.Named("http")),
		},
		done: make(chan struct{}),
	}
	go func() {
		defer close(h.done)
		if err := h.srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			d.log.Error("http endpoint stopped", zap.Error(err))
		}
	}()
	d.log.Info("serving http", zap.String("addr", ln.Addr().String()))
	return h, nil
}

// stop shuts the endpoint down, letting requests in flight finish.
func (h *httpServer) stop(log *zap.Logger) {
	if h == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), httpDrain)
	defer cancel()
	if err := h.srv.Shutdown(ctx); err != nil {
		log.Warn("http endpoint did not stop cleanly", zap.Error(err))
	}
	<-h.done
}
