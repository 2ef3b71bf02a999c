package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/casedesk/casedesk"
	"github.com/casedesk/casedesk/config"
	"github.com/casedesk/casedesk/postgres"
)

// demoPassword is every staff demo user's console password outside
// production (where seed sets none).
const demoPassword = "casedesk-demo-password"

type demoUser struct {
	name  string
	email string
	role  casedesk.Role
}

var demoUsers = []demoUser{
	{"Ada Admin", "admin@casedesk.example", casedesk.RoleAdmin},
	{"Alex Agent", "alex.agent@casedesk.example", casedesk.RoleAgent},
	{"Blair Agent", "blair.agent@casedesk.example", casedesk.RoleAgent},
	{"Sam Supervisor", "sam.supervisor@casedesk.example", casedesk.RoleSupervisor},
	{"Robin Supervisor", "robin.supervisor@casedesk.example", casedesk.RoleSupervisor},
	// The billing system's API key: it records customers, payments and invoices.
	{"Billing feed", "billing.feed@casedesk.example", casedesk.RoleIntegration},
}

type demoCustomer struct {
	name, email string
	payments    []casedesk.NewPaymentRequest
	invoices    []casedesk.NewInvoiceRequest
}

var demoCustomers = []demoCustomer{
	{"Jordan Rivera", "jordan.rivera@example.com",
		[]casedesk.NewPaymentRequest{{Amount: "120.50", Currency: "USD", Method: "card", Reference: "ch_demo_jordan_1"},
			{Amount: "49.99", Currency: "USD", Method: "card", Reference: "ch_demo_jordan_2"}},
		[]casedesk.NewInvoiceRequest{{Number: "INV-2026-0001", Amount: "120.50", Currency: "USD"}}},
	{"Mina Okafor", "mina.okafor@example.com",
		[]casedesk.NewPaymentRequest{{Amount: "1500.00", Currency: "EUR", Method: "bank_transfer", Reference: "tr_demo_mina_1"}},
		[]casedesk.NewInvoiceRequest{{Number: "INV-2026-0002", Amount: "1500.00", Currency: "EUR"},
			{Number: "INV-2026-0003", Amount: "310.00", Currency: "EUR"}}},
	{"Kenji Sato", "kenji.sato@example.com",
		[]casedesk.NewPaymentRequest{{Amount: "8800", Currency: "JPY", Method: "wallet", Reference: "wl_demo_kenji_1"}},
		[]casedesk.NewInvoiceRequest{{Number: "INV-2026-0004", Amount: "8800", Currency: "JPY"}}},
}

func runSeed(ctx context.Context, _ []string, stdout io.Writer) error {
	cfg, db, _, err := openMigrated(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	tokens, err := readTokens(cfg.DemoTokensFile)
	if err != nil {
		return err
	}
	var lines []string
	for _, du := range demoUsers {
		u, token, err := seedUser(ctx, db, du, tokens[du.email], cfg.AdminToken)
		if err != nil {
			return fmt.Errorf("seed user %s: %w", du.email, err)
		}
		tokens[du.email] = token
		lines = append(lines, fmt.Sprintf("  %-11s %-18s %-34s %-12s %s", u.Role, u.Name, u.Email, u.ID, token))
		if u.Role.IsStaff() && cfg.Env != config.EnvProduction {
			if err := db.SetPassword(ctx, u.ID, casedesk.HashPassword(demoPassword)); err != nil {
				return fmt.Errorf("seed password of %s: %w", du.email, err)
			}
		}
	}
	if err := writeTokens(cfg.DemoTokensFile, tokens); err != nil {
		return err
	}
	var customers []string
	for _, dc := range demoCustomers {
		cu, err := seedCustomer(ctx, db, dc)
		if err != nil {
			return fmt.Errorf("seed customer %s: %w", dc.email, err)
		}
		customers = append(customers, fmt.Sprintf("  %-12s %-14s %s", cu.ID, cu.Name, cu.Email))
	}
	fmt.Fprintln(stdout, "Demo users (role, name, email, id, token):")
	fmt.Fprintln(stdout, strings.Join(lines, "\n"))
	if cfg.Env != config.EnvProduction {
		fmt.Fprintf(stdout, "Console sign-in: each staff demo email above with the password %s\n", demoPassword)
	}
	fmt.Fprintln(stdout, "Demo customers (id, name, email):")
	fmt.Fprintln(stdout, strings.Join(customers, "\n"))
	return nil
}

// seedUser makes sure the demo user exists and that token (kept from an
// earlier run, or the admin token from the environment) is its token.
func seedUser(ctx context.Context, db *postgres.DB, du demoUser, token, adminToken string) (casedesk.User, string, error) {
	if du.role == casedesk.RoleAdmin && adminToken != "" {
		token = adminToken
	}
	u, err := db.UserByEmail(ctx, du.email)
	switch casedesk.ErrorCode(err) {
	case casedesk.ENOTFOUND:
		if token == "" {
			token = casedesk.NewToken()
		}
		u, err = db.CreateUser(ctx, casedesk.User{ID: casedesk.NewID(casedesk.PrefixUser, 8), Name: du.name,
			Email: du.email, Role: du.role}, casedesk.HashToken(token))
		return u, token, err
	case "":
	default:
		return u, "", err
	}
	if token != "" {
		if owner, err := db.UserByToken(ctx, casedesk.HashToken(token)); err == nil && owner.ID == u.ID {
			return u, token, nil
		}
	}
	// The token we know is not the user's (the tokens file was lost, or the
	// admin token changed): give the demo user a new one.
	if token == "" {
		token = casedesk.NewToken()
	}
	return u, token, db.SetUserToken(ctx, u.ID, casedesk.HashToken(token))
}

func seedCustomer(ctx context.Context, db *postgres.DB, dc demoCustomer) (casedesk.Customer, error) {
	if cu, err := db.CustomerByEmail(ctx, dc.email); err == nil {
		return cu, nil
	} else if casedesk.ErrorCode(err) != casedesk.ENOTFOUND {
		return cu, err
	}
	cu, err := db.CreateCustomer(ctx, casedesk.Customer{ID: casedesk.NewID(casedesk.PrefixCustomer, 8), Name: dc.name, Email: dc.email})
	if err != nil {
		return cu, err
	}
	// Payments and invoices carry no actor; in production the billing
	// system records them with its integration user's token.
	now := time.Now()
	for i, pr := range dc.payments {
		at := now.AddDate(0, 0, -10*(i+1))
		pr.PaidAt = &at
		p, err := pr.Validate(casedesk.NewID(casedesk.PrefixPayment, 8), cu.ID, now)
		if err != nil {
			return cu, err
		}
		if _, err := db.CreatePayment(ctx, p); err != nil {
			return cu, err
		}
	}
	for i, ir := range dc.invoices {
		at := now.AddDate(0, 0, -15*(i+1))
		ir.IssuedAt = &at
		inv, err := ir.Validate(casedesk.NewID(casedesk.PrefixInvoice, 8), cu.ID, now)
		if err != nil {
			return cu, err
		}
		if _, err := db.CreateInvoice(ctx, inv); err != nil {
			return cu, err
		}
	}
	return cu, nil
}

// readTokens reads "email token" lines; a missing file is empty.
func readTokens(path string) (map[string]string, error) {
	out := map[string]string{}
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return out, nil
	} else if err != nil {
		return nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		email, token, ok := strings.Cut(strings.TrimSpace(sc.Text()), " ")
		if ok && !strings.HasPrefix(email, "#") {
			out[email] = strings.TrimSpace(token)
		}
	}
	return out, sc.Err()
}

func writeTokens(path string, tokens map[string]string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	var b strings.Builder
	b.WriteString("# casedesk demo tokens (email token); local use only\n")
	for _, du := range demoUsers {
		fmt.Fprintf(&b, "%s %s\n", du.email, tokens[du.email])
	}
	return os.WriteFile(path, []byte(b.String()), 0o600)
}
