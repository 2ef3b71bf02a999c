package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/casedesk/casedesk/sendgridfake"
)

const fakeSendGridUsage = `Usage: casedesk fake-sendgrid [--addr 127.0.0.1:8025] [--key KEY]

Serves a local stand-in for SendGrid's v3 Mail Send API, for development and
end-to-end tests: POST /v3/mail/send checks the key and the body as SendGrid
does and answers 202 with an X-Message-Id, or SendGrid's error JSON. Nothing
is delivered; each accepted message is logged with its recipients and subject.
Point casedesk at it with SENDGRID_BASE_URL=http://127.0.0.1:8025 and the
same SENDGRID_API_KEY.

  --addr ADDR   where to listen (default 127.0.0.1:8025)
  --key KEY     the API key to accept (default $SENDGRID_API_KEY)

Control routes:
  GET  /_fake/messages              the accepted messages as JSON, in order
  POST /_fake/fail?status=500&n=2   answer the next n sends with status
                                    (429 comes with Retry-After)
  POST /_fake/reset                 forget messages and armed failures

Stops on SIGINT or SIGTERM.`

// fakeSendGridAddr is where the fake listens by default.
const fakeSendGridAddr = "127.0.0.1:8025"

// runFakeSendGrid runs `casedesk fake-sendgrid` until ctx is done.
func runFakeSendGrid(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("fake-sendgrid", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	addr := fs.String("addr", fakeSendGridAddr, "")
	key := fs.String("key", strings.TrimSpace(os.Getenv("SENDGRID_API_KEY")), "")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(stdout, fakeSendGridUsage)
			return nil
		}
		return fmt.Errorf("%v (see casedesk fake-sendgrid --help)", err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q (see casedesk fake-sendgrid --help)", fs.Arg(0))
	}
	if *key == "" {
		return errors.New("no API key to accept: pass --key or set SENDGRID_API_KEY")
	}

	fake := sendgridfake.New(*key)
	log := slog.New(slog.NewTextHandler(stdout, nil))
	fake.OnAccept(func(a sendgridfake.Accepted) {
		var to []string
		for _, p := range a.Mail.Personalizations {
			for _, e := range p.To {
				to = append(to, e.Email)
			}
		}
		subject := a.Mail.Subject
		if subject == "" && len(a.Mail.Personalizations) > 0 {
			subject = a.Mail.Personalizations[0].Subject
		}
		log.Info("accepted", "message_id", a.MessageID, "to", strings.Join(to, ","), "subject", subject,
			"case_id", a.Mail.CustomArgs["case_id"], "kind", a.Mail.CustomArgs["kind"])
	})

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: fake.Handler(), ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(stdout, "fake SendGrid listening on http://%s (set SENDGRID_BASE_URL to it)\n", ln.Addr())

	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		return err
	}
	if err := <-done; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
