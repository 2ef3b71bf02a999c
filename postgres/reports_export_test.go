package postgres

import "context"

// CopyAllFacts brings case_facts up to date with every case row, as the
// projection does for one case: for tests that write cases in bulk.
func (db *DB) CopyAllFacts(ctx context.Context) error {
	_, err := db.Pool.Exec(ctx, copyFacts("true"))
	return err
}
