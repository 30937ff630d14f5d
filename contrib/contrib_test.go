// Package contrib_test checks the deployment files in contrib/ as far as
// this machine allows without a cluster: the Kubernetes manifest against
// the Kubernetes API's own types (strictly: an unknown or misspelt field
// fails), the Swarm stack through `docker stack config`, and the
// container image's Dockerfile. Running them is tested with a real daemon
// in internal/commands (container_daemon_test.go).
package contrib_test

import (
	"bytes"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

// documents splits a multi-document YAML file.
func documents(t *testing.T, path string) [][]byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var docs [][]byte
	for _, d := range bytes.Split(data, []byte("\n---\n")) {
		if len(bytes.TrimSpace(d)) > 0 {
			docs = append(docs, d)
		}
	}
	return docs
}

func TestKubernetesManifest(t *testing.T) {
	t.Parallel()
	var (
		ds        appsv1.DaemonSet
		cm        corev1.ConfigMap
		ns        corev1.Namespace
		kinds     []string
		namespace = "docker-shaper"
	)
	for _, doc := range documents(t, "kubernetes/docker-shaper.yaml") {
		var head struct{ Kind string }
		if err := yaml.Unmarshal(doc, &head); err != nil {
			t.Fatal(err)
		}
		kinds = append(kinds, head.Kind)
		var into any
		switch head.Kind {
		case "DaemonSet":
			into = &ds
		case "ConfigMap":
			into = &cm
		case "Namespace":
			into = &ns
		default:
			t.Fatalf("unexpected kind %q", head.Kind)
		}
		if err := yaml.UnmarshalStrict(doc, into); err != nil {
			t.Errorf("%s does not match the Kubernetes API: %v", head.Kind, err)
		}
	}
	if !slices.Equal(kinds, []string{"Namespace", "ConfigMap", "DaemonSet"}) {
		t.Fatalf("kinds %v", kinds)
	}
	if ds.APIVersion != "apps/v1" || ds.Namespace != namespace || cm.Namespace != namespace || ns.Name != namespace {
		t.Errorf("versions and namespaces: %s %s %s %s", ds.APIVersion, ds.Namespace, cm.Namespace, ns.Name)
	}
	sel := ds.Spec.Selector.MatchLabels
	for k, v := range sel {
		if ds.Spec.Template.Labels[k] != v {
			t.Errorf("the selector %s=%s does not select the pod template (%v)", k, v, ds.Spec.Template.Labels)
		}
	}
	if len(sel) == 0 {
		t.Error("no selector")
	}
	spec := ds.Spec.Template.Spec
	if len(spec.Containers) != 1 {
		t.Fatalf("%d containers", len(spec.Containers))
	}
	c := spec.Containers[0]
	volumes := map[string]corev1.Volume{}
	for _, v := range spec.Volumes {
		volumes[v.Name] = v
	}
	mounts := map[string]string{}
	for _, m := range c.VolumeMounts {
		if _, ok := volumes[m.Name]; !ok {
			t.Errorf("mount %s names no volume", m.Name)
		}
		mounts[m.MountPath] = m.Name
	}
	if v := volumes[mounts["/var/run/docker.sock"]]; v.HostPath == nil || v.HostPath.Path != "/var/run/docker.sock" {
		t.Errorf("the Docker socket is not the node's: %+v", v)
	}
	if v := volumes[mounts["/etc/docker-shaper"]]; v.ConfigMap == nil || v.ConfigMap.Name != cm.Name {
		t.Errorf("the policy is not the ConfigMap %s: %+v", cm.Name, v)
	}
	if _, ok := cm.Data["policy.hcl"]; !ok {
		t.Error("the ConfigMap has no policy.hcl")
	}
	if v := volumes[mounts["/state"]]; v.HostPath == nil {
		t.Errorf("the state is not kept on the node: %+v", v)
	}
	if c.Resources.Limits.Cpu().IsZero() || c.Resources.Limits.Memory().IsZero() {
		t.Error("no resource limits")
	}
	p := c.LivenessProbe
	if p == nil || p.HTTPGet == nil || p.HTTPGet.Path != "/healthz" {
		t.Fatalf("liveness probe %+v, want GET /healthz", p)
	}
	args := strings.Join(c.Args, " ")
	if !strings.HasPrefix(args, "watch ") || !strings.Contains(args, "--metrics-addr 0.0.0.0:9323") {
		t.Errorf("args %q: want watch serving metrics on the probe's port", args)
	}
	if p.HTTPGet.Port.String() != "metrics" || len(c.Ports) != 1 || c.Ports[0].Name != "metrics" || c.Ports[0].ContainerPort != 9323 {
		t.Errorf("the probe's port %v is not the metrics port %+v", p.HTTPGet.Port, c.Ports)
	}
	env := map[string]string{}
	for _, e := range c.Env {
		env[e.Name] = e.Value
	}
	if env["DOCKER_SHAPER_POLICY"] != "/etc/docker-shaper/policy.hcl" {
		t.Errorf("DOCKER_SHAPER_POLICY = %q", env["DOCKER_SHAPER_POLICY"])
	}
}

// The stack file is what `docker stack config` renders: a global service,
// the policy as a config, the socket and the state mounted.
func TestSwarmStack(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("docker"); err != nil {
		t.Fatalf("the docker CLI is needed to render the stack: %v", err)
	}
	cmd := exec.Command("docker", "stack", "config", "-c", "swarm/docker-shaper.yml")
	cmd.Env = append(os.Environ(), "DOCKER_SHAPER_IMAGE=registry.example.com/docker-shaper:1", "POLICY_VERSION=7")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("docker stack config: %v\n%s", err, out)
	}
	var stack struct {
		Services map[string]struct {
			Image   string
			Command []string
			Deploy  struct{ Mode string }
			Configs []struct{ Source, Target string }
			Volumes []struct{ Type, Source, Target string }
		}
		Configs map[string]struct{ Name, File string }
	}
	if err := yaml.Unmarshal(out, &stack); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	svc, ok := stack.Services["watcher"]
	if !ok {
		t.Fatalf("no watcher service:\n%s", out)
	}
	if svc.Deploy.Mode != "global" || svc.Image != "registry.example.com/docker-shaper:1" || svc.Command[0] != "watch" {
		t.Errorf("service %+v", svc)
	}
	if len(svc.Configs) != 1 || svc.Configs[0].Target != "/etc/docker-shaper/policy.hcl" ||
		stack.Configs[svc.Configs[0].Source].Name != "docker-shaper-policy-7" {
		t.Errorf("configs %+v %+v", svc.Configs, stack.Configs)
	}
	targets := map[string]string{}
	for _, v := range svc.Volumes {
		targets[v.Target] = v.Type + " " + v.Source
	}
	if targets["/var/run/docker.sock"] != "bind /var/run/docker.sock" || !strings.HasPrefix(targets["/state"], "volume ") {
		t.Errorf("volumes %v", targets)
	}
}

// The image is the static binary on an empty base, running watch with its
// state on a volume and the daemon at the mounted socket.
func TestDockerfile(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("container/Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	text := strings.ReplaceAll(string(data), "\\\n", " ")
	var instr []string
	for _, l := range strings.Split(text, "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			instr = append(instr, strings.Join(strings.Fields(l), " "))
		}
	}
	want := []string{
		"FROM scratch",
		"COPY docker-shaper /docker-shaper",
		"ENV DOCKER_CONFIG=/state DOCKER_HOST=unix:///var/run/docker.sock",
		"VOLUME /state",
		`ENTRYPOINT ["/docker-shaper"]`,
		`CMD ["watch"]`,
	}
	if !slices.Equal(instr, want) {
		t.Errorf("instructions:\n%s\nwant:\n%s", strings.Join(instr, "\n"), strings.Join(want, "\n"))
	}
}
