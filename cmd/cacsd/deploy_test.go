package main

import (
	"debug/elf"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"cacsd/repository/repotest"
)

// deploy is the folder of the unit, image and manifests.
const deploy = "../../deploy"

// need returns the path of tool, skipping the test where it is not
// installed: these checks belong to machines that have the tools.
func need(t *testing.T, tool string) string {
	t.Helper()
	path, err := exec.LookPath(tool)
	if err != nil {
		t.Skipf("%s not installed", tool)
	}
	return path
}

func TestSystemdUnitVerifies(t *testing.T) {
	analyze := need(t, "systemd-analyze")
	unit, err := os.ReadFile(filepath.Join(deploy, "systemd", "cacsd.service"))
	if err != nil {
		t.Fatal(err)
	}
	// verify checks that ExecStart exists; point it at the binary built here.
	text := strings.ReplaceAll(string(unit), "/usr/local/bin/cacsd", binary)
	path := filepath.Join(t.TempDir(), "cacsd.service")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(analyze, "verify", path).CombinedOutput()
	if err != nil || len(out) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
	for _, want := range []string{"Type=notify", "User=cacsd", "ProtectSystem=strict",
		"ReadWritePaths=", "NoNewPrivileges=yes", "PrivateTmp=yes", "Restart=on-failure",
		"WatchdogSec="} {
		if !strings.Contains(text, want) {
			t.Errorf("unit lacks %s", want)
		}
	}
}

// fakeAPIServer answers the discovery requests kubectl makes, for the kinds
// the manifests use, and says no object exists yet. kubectl then does its
// client-side dry run: it builds the kustomization, decodes every object,
// maps each kind to a resource and prints what it would create.
func fakeAPIServer(t *testing.T) *httptest.Server {
	resources := map[string][][2]string{
		"/api/v1":         {{"secrets", "Secret"}, {"persistentvolumeclaims", "PersistentVolumeClaim"}, {"services", "Service"}},
		"/apis/apps/v1":   {{"deployments", "Deployment"}},
		"/apis/policy/v1": {{"poddisruptionbudgets", "PodDisruptionBudget"}},
	}
	mux := http.NewServeMux()
	reply := func(w http.ResponseWriter, v any) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(v)
	}
	mux.HandleFunc("/api", func(w http.ResponseWriter, r *http.Request) {
		reply(w, map[string]any{"kind": "APIVersions", "versions": []string{"v1"}})
	})
	mux.HandleFunc("/apis", func(w http.ResponseWriter, r *http.Request) {
		group := func(name string) map[string]any {
			v := map[string]any{"groupVersion": name + "/v1", "version": "v1"}
			return map[string]any{"name": name, "versions": []any{v}, "preferredVersion": v}
		}
		reply(w, map[string]any{"kind": "APIGroupList", "apiVersion": "v1",
			"groups": []any{group("apps"), group("policy")}})
	})
	for path, list := range resources {
		var rs []any
		for _, r := range list {
			rs = append(rs, map[string]any{"name": r[0], "kind": r[1], "namespaced": true,
				"verbs": []string{"create", "get", "list", "patch", "update", "delete"}})
		}
		gv := strings.TrimPrefix(strings.TrimPrefix(path, "/apis/"), "/api/")
		if path == "/api/v1" {
			gv = "v1"
		}
		mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
			reply(w, map[string]any{"kind": "APIResourceList", "groupVersion": gv, "resources": rs})
		})
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		json.NewEncoder(w).Encode(map[string]any{"kind": "Status", "apiVersion": "v1",
			"status": "Failure", "reason": "NotFound", "code": 404})
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func TestKubernetesManifests(t *testing.T) {
	kubectl := need(t, "kubectl")
	srv := fakeAPIServer(t)
	cmd := exec.Command(kubectl, "apply", "--dry-run=client", "--validate=false",
		"--server", srv.URL, "--token", "test", "--namespace", "cacsd",
		"-k", filepath.Join(deploy, "kubernetes"), "-o", "json")
	cmd.Env = append(os.Environ(), "KUBECONFIG="+filepath.Join(t.TempDir(), "none"))
	out, err := cmd.Output()
	if err != nil {
		var stderr string
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("kubectl apply --dry-run=client: %v\n%s", err, stderr)
	}

	var list struct {
		Items []map[string]any `json:"items"`
	}
	if err := json.Unmarshal(out, &list); err != nil {
		t.Fatalf("kubectl output: %v\n%s", err, out)
	}
	kinds := map[string]map[string]any{}
	for _, it := range list.Items {
		kinds[it["kind"].(string)] = it
	}
	for _, k := range []string{"Deployment", "Secret", "PersistentVolumeClaim",
		"PodDisruptionBudget", "Service"} {
		if kinds[k] == nil {
			t.Errorf("kubectl would not create a %s; got %d objects", k, len(list.Items))
		}
	}
	dep, _ := json.Marshal(kinds["Deployment"])
	for _, want := range []string{`"replicas":2`, `"/healthz"`, `"/readyz"`, `"limits"`,
		`"requests"`, `"DATABASE_URL_FILE"`, `"claimName":"cacsd-data"`} {
		if !strings.Contains(string(dep), want) {
			t.Errorf("deployment lacks %s", want)
		}
	}
	pvc, _ := json.Marshal(kinds["PersistentVolumeClaim"])
	if !strings.Contains(string(pvc), "ReadWriteMany") {
		t.Errorf("volume claim is not ReadWriteMany: %s", pvc)
	}
}

// TestStaticBinaryAsNonRoot does what the container image does, without a
// container engine: a CGO_ENABLED=0 binary, run as an unprivileged user
// whose access to the folders comes only from a supplementary group, as
// with fsGroup in Kubernetes or group_add in compose.
func TestStaticBinaryAsNonRoot(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root to run the binary as another user")
	}
	const uid, gid, shared = 65532, 65532, 65533

	// Folders the other user can reach: t.TempDir is private to root.
	base := t.TempDir()
	if err := os.Chmod(filepath.Dir(base), 0o711); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(base, 0o711); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(base, "cacsd")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("CGO_ENABLED=0 go build: %v\n%s", err, out)
	}
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Errorf("binary has a dynamic loader; want a static binary")
		}
	}
	f.Close()

	// The root belongs to root and the shared group, as a volume would.
	root := filepath.Join(base, "data")
	for _, d := range []string{root, filepath.Join(root, "inbox")} {
		if err := os.Mkdir(d, 0o770); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(d, 0, shared); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(d, 0o2770); err != nil {
			t.Fatal(err)
		}
	}
	dst := filepath.Join(root, "inbox", "referral-single.xml")
	copyFile(t, filepath.Join(samples, "good", "referral-single.xml"), dst)
	if err := os.Chown(dst, 0, shared); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dst, 0o660); err != nil {
		t.Fatal(err)
	}

	url := repotest.New(t, "nonroot")
	cmd := exec.Command(bin, "run", "--root", root, "--settle", "100ms", "--log-format", "json",
		"--http-addr", "127.0.0.1:0")
	cmd.Env = append(withoutDatabaseEnv("DATABASE_URL="+url), "HOME=/nonexistent")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{
		Uid: uid, Gid: gid, Groups: []uint32{shared}}}
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	defer func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			<-done
		}
	}()

	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(out.String(), `"msg":"file imported"`) {
		if time.Now().After(deadline) {
			t.Fatalf("file not imported as uid %d within 30s:\n%s", uid, out)
		}
		time.Sleep(20 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	if err := <-done; err != nil {
		t.Errorf("daemon as uid %d: %v\n%s", uid, err, out)
	}
	moved := filepath.Join(root, "processed", time.Now().Format("2006/01/02"), "referral-single.xml")
	fi, err := os.Stat(moved)
	if err != nil {
		t.Fatalf("file not in processed/: %v\n%s", err, out)
	}
	// The file keeps its sender as owner, so its mode too; the folders the
	// daemon made keep others out.
	if st := fi.Sys().(*syscall.Stat_t); st.Uid != 0 {
		t.Errorf("processed file owner %d, want the sender (0)", st.Uid)
	}
	if di, err := os.Stat(filepath.Dir(moved)); err != nil {
		t.Error(err)
	} else if di.Mode().Perm() != 0o750 {
		t.Errorf("processed folder mode %v, want 0750", di.Mode().Perm())
	}
	if strings.Contains(out.String(), `"level":"warn"`) || strings.Contains(out.String(), `"level":"error"`) {
		t.Errorf("warnings running as non-root:\n%s", out)
	}
}

func TestAlertRules(t *testing.T) {
	promtool := need(t, "promtool")
	out, err := exec.Command(promtool, "check", "rules",
		filepath.Join(deploy, "prometheus", "alerts.yml")).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "SUCCESS") {
		t.Errorf("promtool check rules: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "rules found") {
		t.Errorf("promtool found no rules:\n%s", out)
	}
}
