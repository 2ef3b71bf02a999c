// Package migrations embeds the numbered SQL migrations applied by the binary.
package migrations

import "embed"

// FS holds the migration files, named NNN_description.sql.
//
//go:embed *.sql
var FS embed.FS
