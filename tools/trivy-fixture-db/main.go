// Command trivy-fixture-db builds an offline Trivy vulnerability database from the YAML fixtures
// of Trivy's integration tests (__fixtures__/trivy/db), the way those tests do it
// (internal/dbtest.InitDB and integration/integration_test.go initDB in aquasecurity/trivy
// v0.74.0):
//
//	trivy-fixture-db -cache DIR FILE.yaml...
//
// writes DIR/db/trivy.db (the fixtures loaded into BoltDB by github.com/aquasecurity/bolt-fixtures)
// and DIR/db/metadata.json, so that `trivy image --skip-db-update --cache-dir DIR` scans offline.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	fixtures "github.com/aquasecurity/bolt-fixtures"
)

// metadata is trivy-db's pkg/metadata.Metadata, written as its Client.Update writes it
// (encoding/json, one line). Version is trivy-db's SchemaVersion, which Trivy v0.74.0 requires
// to equal its own when --skip-db-update is given.
type metadata struct {
	Version      int `json:",omitempty"`
	NextUpdate   time.Time
	UpdatedAt    time.Time
	DownloadedAt time.Time
}

const schemaVersion = 2

func main() {
	cache := flag.String("cache", "", "Trivy cache directory (--cache-dir); the DB goes to its db/ folder")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: trivy-fixture-db -cache DIR FILE.yaml...")
		flag.PrintDefaults()
	}
	flag.Parse()
	if *cache == "" || flag.NArg() == 0 {
		flag.Usage()
		os.Exit(2)
	}
	if err := build(filepath.Join(*cache, "db"), flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "trivy-fixture-db:", err)
		os.Exit(1)
	}
}

func build(dbDir string, files []string) error {
	if err := os.MkdirAll(dbDir, 0o700); err != nil {
		return err
	}
	// bolt-fixtures adds to an existing file: start from an empty one so a rebuild drops
	// buckets and keys that are no longer in the fixtures.
	dbPath := filepath.Join(dbDir, "trivy.db")
	if err := os.Remove(dbPath); err != nil && !os.IsNotExist(err) {
		return err
	}
	loader, err := fixtures.New(dbPath, files)
	if err != nil {
		return err
	}
	if err := loader.Load(); err != nil {
		loader.Close()
		return fmt.Errorf("loading fixtures: %w", err)
	}
	if err := loader.Close(); err != nil {
		return err
	}

	// Trivy's tests use now+24h; a far-future NextUpdate keeps the DB "fresh" for good, so even
	// a scan without --skip-db-update would not try to download one.
	now := time.Now().UTC()
	meta, err := json.Marshal(metadata{
		Version:      schemaVersion,
		NextUpdate:   time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC),
		UpdatedAt:    now,
		DownloadedAt: now,
	})
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dbDir, "metadata.json"), append(meta, '\n'), 0o600)
}
