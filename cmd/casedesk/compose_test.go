package main

import (
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/casedesk/casedesk/workflows"
)

// docker-compose.yml cannot run here (no Docker engine); this keeps it in
// step with scripts/cluster.sh, which runs the same topology in make cluster
// and in the chaos run: the same Temporal server, shards, partitions,
// namespace and search attributes, the same casedesk variables, secrets
// required, the API and the worker scalable.

type composeFile struct {
	Services map[string]composeService `yaml:"services"`
	Configs  map[string]struct {
		Content string `yaml:"content"`
	} `yaml:"configs"`
}

type composeService struct {
	Image         string            `yaml:"image"`
	Command       []string          `yaml:"command"`
	Environment   map[string]string `yaml:"environment"`
	Ports         []string          `yaml:"ports"`
	ContainerName string            `yaml:"container_name"`
	Build         any               `yaml:"build"`
}

func readRepoFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// shellValue finds NAME="value" or NAME=value in a script.
func shellValue(t *testing.T, script, name string) string {
	t.Helper()
	m := regexp.MustCompile(`(?m)^` + name + `="?([^"\n]*)"?$`).FindStringSubmatch(script)
	if m == nil {
		t.Fatalf("%s is not set in the script", name)
	}
	return m[1]
}

func TestDockerComposeAgreesWithMakeCluster(t *testing.T) {
	var c composeFile
	if err := yaml.Unmarshal([]byte(readRepoFile(t, "../../docker-compose.yml")), &c); err != nil {
		t.Fatal(err)
	}
	cluster := readRepoFile(t, "../../scripts/cluster.sh")
	lib := readRepoFile(t, "../../scripts/lib.sh")

	version := shellValue(t, cluster, "TEMPORAL_SERVER_VERSION")
	shards := shellValue(t, cluster, "TEMPORAL_HISTORY_SHARDS")
	cli := shellValue(t, lib, "TEMPORAL_CLI_VERSION")

	temporal, ok := c.Services["temporal"]
	if !ok {
		t.Fatal("no temporal service")
	}
	t.Run("the Temporal server", func(t *testing.T) {
		if want := "temporalio/server:" + strings.TrimPrefix(version, "v"); temporal.Image != want {
			t.Errorf("temporal runs %q, make cluster %s", temporal.Image, want)
		}
		if temporal.Environment["NUM_HISTORY_SHARDS"] != shards {
			t.Errorf("NUM_HISTORY_SHARDS %q, make cluster %s", temporal.Environment["NUM_HISTORY_SHARDS"], shards)
		}
		if temporal.Environment["DB"] != "postgres12" || temporal.Environment["POSTGRES_SEEDS"] != "postgres" ||
			temporal.Environment["DBNAME"] != "temporal" || temporal.Environment["VISIBILITY_DBNAME"] != "temporal_visibility" {
			t.Errorf("temporal is not on the postgres service's temporal and temporal_visibility databases: %v", temporal.Environment)
		}
		if slices.Contains(temporal.Command, "start-dev") || strings.Contains(temporal.Image, "auto-setup") {
			t.Errorf("temporal is the dev server or auto-setup: %q %v", temporal.Image, temporal.Command)
		}
		if _, ok := c.Services["temporal-ui"]; !ok {
			t.Error("no temporal-ui service")
		}
	})

	t.Run("the tools are the versions make cluster builds", func(t *testing.T) {
		text := readRepoFile(t, "../../docker-compose.yml")
		for _, want := range []string{
			"go.temporal.io/server/cmd/tools/sql@" + version,
			"go.temporal.io/server@" + version + "/schema",
			"github.com/temporalio/cli/cmd/temporal@" + cli,
		} {
			if !strings.Contains(text, want) {
				t.Errorf("docker-compose.yml does not build %s", want)
			}
		}
	})

	t.Run("dynamic config", func(t *testing.T) {
		m := regexp.MustCompile(`(?s)dynamicconfig\.yaml" <<'YAML'\n(.*?)\nYAML\n`).FindStringSubmatch(cluster)
		if m == nil {
			t.Fatal("no dynamic config in scripts/cluster.sh")
		}
		var want, got map[string]any
		if err := yaml.Unmarshal([]byte(m[1]), &want); err != nil {
			t.Fatal(err)
		}
		if err := yaml.Unmarshal([]byte(c.Configs["temporal-dynamic-config"].Content), &got); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("compose's dynamic config %v, make cluster's %v", got, want)
		}
		if temporal.Environment["DYNAMIC_CONFIG_FILE_PATH"] == "" {
			t.Error("temporal reads no dynamic config file")
		}
	})

	t.Run("namespace and search attributes", func(t *testing.T) {
		setup := strings.Join(c.Services["temporal-setup"].Command, "\n")
		m := regexp.MustCompile(`for sa in ([A-Za-z ]+); do`).FindStringSubmatch(setup)
		if m == nil {
			t.Fatalf("temporal-setup registers no search attributes: %s", setup)
		}
		inCompose := strings.Fields(m[1])
		l := regexp.MustCompile(`CASEDESK_SEARCH_ATTRIBUTES=\(([^)]*)\)`).FindStringSubmatch(lib)
		if l == nil {
			t.Fatal("no CASEDESK_SEARCH_ATTRIBUTES in scripts/lib.sh")
		}
		for _, names := range [][]string{strings.Fields(l[1]), inCompose} {
			if !slices.Equal(names, workflows.SearchAttributeNames) {
				t.Errorf("search attributes %v, the workflows use %v", names, workflows.SearchAttributeNames)
			}
		}
		if !strings.Contains(setup, "namespace create -n default") || !strings.Contains(cluster, "namespace create -n default") {
			t.Error("the default namespace is not created the same way")
		}
	})

	t.Run("the casedesk configuration", func(t *testing.T) {
		// The variables make cluster gives every casedesk process.
		body := cluster[strings.Index(cluster, "write_casedesk_env() {"):]
		body = body[strings.Index(body, "printf '%s=%q\\n' \\"):]
		body = body[:strings.Index(body, "while IFS=")]
		fixed := regexp.MustCompile(`(?m)^\t+([A-Z][A-Z_]+) \S`).FindAllStringSubmatch(body, -1)
		if len(fixed) < 10 {
			t.Fatalf("found only %d variables in write_casedesk_env", len(fixed))
		}
		for _, name := range []string{"worker", "api", "migrate", "seed"} {
			s, ok := c.Services[name]
			if !ok {
				t.Fatalf("no %s service", name)
			}
			for _, f := range fixed {
				v := f[1]
				if v == "CASEDESK_DEMO_TOKENS_FILE" && name != "seed" {
					continue // only seed keeps demo tokens
				}
				if _, ok := s.Environment[v]; !ok {
					t.Errorf("%s lacks %s, which make cluster sets", name, v)
				}
			}
			if s.Environment["CASEDESK_ENV"] != "production" {
				t.Errorf("%s runs in %q, make cluster in production", name, s.Environment["CASEDESK_ENV"])
			}
		}
		if c.Services["api"].Environment["CASEDESK_HTTP_ADDR"] == "" || c.Services["worker"].Environment["CASEDESK_METRICS_ADDR"] == "" {
			t.Error("the api and worker services must set their listen addresses, as make cluster does per process")
		}
	})

	t.Run("secrets are required", func(t *testing.T) {
		for name, s := range c.Services {
			for k, v := range s.Environment {
				secret := strings.HasSuffix(k, "_SECRET") || strings.HasSuffix(k, "_TOKEN") || strings.Contains(k, "PASSWORD") || k == "POSTGRES_PWD"
				if secret && !strings.Contains(v, ":?") {
					t.Errorf("%s: %s=%q has a value of its own; it must be required (${VAR:?…})", name, k, v)
				}
				if k == "DATABASE_URL" && !strings.Contains(v, ":?") {
					t.Errorf("%s: DATABASE_URL carries a fixed password", name)
				}
			}
		}
	})

	t.Run("the API and the worker scale", func(t *testing.T) {
		for _, name := range []string{"api", "worker"} {
			s := c.Services[name]
			if !slices.Equal(s.Command, []string{name}) {
				t.Errorf("%s runs %v", name, s.Command)
			}
			if s.ContainerName != "" {
				t.Errorf("%s has a container_name: it cannot scale", name)
			}
			for _, p := range s.Ports {
				host := p[:strings.LastIndex(p, ":")]
				if !strings.Contains(host, "-") {
					t.Errorf("%s publishes the single host port %q: a second replica could not start", name, p)
				}
			}
		}
	})
}
