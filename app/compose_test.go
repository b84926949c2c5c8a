package app_test

import (
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/shenzhenplan/kgapi/app"
)

// Docker does not run here, so the compose file is checked instead: its
// services, ports and variables must exist in the code and the README.
func TestDockerCompose(t *testing.T) {
	raw, err := os.ReadFile("../docker-compose.yml")
	if err != nil {
		t.Fatal(err)
	}
	var compose struct {
		Services map[string]struct {
			Image       string            `yaml:"image"`
			Build       any               `yaml:"build"`
			Entrypoint  []string          `yaml:"entrypoint"`
			Command     []string          `yaml:"command"`
			Environment map[string]string `yaml:"environment"`
			Ports       []string          `yaml:"ports"`
			Deploy      struct {
				Replicas string `yaml:"replicas"`
			} `yaml:"deploy"`
			Volumes     []string `yaml:"volumes"`
			Healthcheck *struct {
				Test []string `yaml:"test"`
			} `yaml:"healthcheck"`
			DependsOn map[string]struct {
				Condition string `yaml:"condition"`
			} `yaml:"depends_on"`
		} `yaml:"services"`
		Volumes map[string]any `yaml:"volumes"`
	}
	if err := yaml.Unmarshal(raw, &compose); err != nil {
		t.Fatalf("docker-compose.yml does not parse: %v", err)
	}
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	knobs := map[string]bool{}
	for _, k := range app.Knobs() {
		knobs[k] = true
	}

	db, ok := compose.Services["neo4j"]
	if !ok || !strings.HasPrefix(db.Image, "neo4j:5") {
		t.Fatalf("service neo4j must use the official neo4j:5 image, got %+v", db)
	}
	if db.Healthcheck == nil || len(db.Healthcheck.Test) == 0 {
		t.Error("neo4j has no healthcheck")
	}
	named := false
	for _, v := range db.Volumes {
		name, _, _ := strings.Cut(v, ":")
		if _, ok := compose.Volumes[name]; ok {
			named = true
		}
	}
	if !named {
		t.Error("neo4j's data is not on a named volume")
	}

	for _, name := range []string{"loader", "api"} {
		svc, ok := compose.Services[name]
		if !ok {
			t.Fatalf("no %s service", name)
		}
		if svc.DependsOn["neo4j"].Condition != "service_healthy" {
			t.Errorf("%s does not wait for a healthy neo4j", name)
		}
		for k := range svc.Environment {
			if !knobs[k] {
				t.Errorf("%s sets %s, which the code does not read", name, k)
			}
			if !strings.Contains(string(readme), "`"+k+"`") {
				t.Errorf("%s sets %s, which the README does not document", name, k)
			}
		}
		if !strings.HasPrefix(svc.Environment["NEO4J_URI"], "bolt://neo4j:") {
			t.Errorf("%s does not point NEO4J_URI at the neo4j service", name)
		}
	}
	if c := compose.Services["api"].DependsOn["loader"].Condition; c != "service_completed_successfully" {
		t.Errorf("api should start after the loader completed, condition %q", c)
	}
	// The loader's command names a file that exists in the repository.
	for _, arg := range compose.Services["loader"].Command {
		if strings.HasPrefix(arg, "/app/data/") {
			if _, err := os.Stat("../" + strings.TrimPrefix(arg, "/app/")); err != nil {
				t.Errorf("loader command names %s: %v", arg, err)
			}
		}
	}
	// The replicas are reached through the load balancer: an official
	// nginx image, publishing the port, with a configuration in the
	// repository that sends to the port the API listens on.
	listen := compose.Services["api"].Environment["LISTEN_ADDR"]
	_, port, _ := strings.Cut(listen, ":")
	if len(compose.Services["api"].Ports) > 0 {
		t.Errorf("api publishes %v: its replicas would clash; the load balancer publishes", compose.Services["api"].Ports)
	}
	if compose.Services["api"].Deploy.Replicas == "" {
		t.Error("api does not say how many replicas run (deploy.replicas)")
	}
	lb, ok := compose.Services["lb"]
	if !ok || !strings.HasPrefix(lb.Image, "nginx:") {
		t.Fatalf("service lb must use the official nginx image, got %+v", lb)
	}
	if !slices.Contains(lb.Ports, "8080:8080") {
		t.Errorf("lb publishes %v, want 8080:8080", lb.Ports)
	}
	conf := ""
	for _, v := range lb.Volumes {
		if src, dst, _ := strings.Cut(v, ":"); strings.HasPrefix(dst, "/etc/nginx/nginx.conf") {
			raw, err := os.ReadFile("../" + strings.TrimPrefix(src, "./"))
			if err != nil {
				t.Fatalf("lb mounts %s: %v", src, err)
			}
			conf = string(raw)
		}
	}
	for _, want := range []string{"server api:" + port, "proxy_buffering off", "Upgrade $http_upgrade", "proxy_next_upstream"} {
		if !strings.Contains(conf, want) {
			t.Errorf("deploy/nginx.conf lacks %q", want)
		}
	}
	// Every knob the code reads is documented.
	for k := range knobs {
		if !strings.Contains(string(readme), "`"+k+"`") {
			t.Errorf("the README does not document %s", k)
		}
	}
	if path, err := exec.LookPath("docker"); err == nil {
		t.Logf("docker CLI found at %s; `docker compose config` could validate further, but no engine runs here", path)
	}
}
