package main

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// sftpServer is an OpenSSH server on loopback that accepts the current
// user with a key made for the test, the way a council's SFTP drop works.
type sftpServer struct {
	port   int
	key    string // client private key
	user   string
	dir    string
	cmd    *exec.Cmd
	stderr *syncBuffer
}

func startSFTPServer(t *testing.T) *sftpServer {
	t.Helper()
	sshd, err := exec.LookPath("sshd")
	if err != nil {
		sshd = "/usr/sbin/sshd"
	}
	if _, err := os.Stat(sshd); err != nil {
		t.Fatalf("OpenSSH server not installed (.ci/run installs openssh-server): %v", err)
	}
	u, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	s := &sftpServer{dir: dir, user: u.Username, key: filepath.Join(dir, "client")}
	for _, k := range []string{"host", "client"} {
		mustRun(t, "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", filepath.Join(dir, k))
	}
	pub, err := os.ReadFile(s.key + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "authorized_keys"), string(pub))
	// sshd wants its privilege separation folder when started as root.
	_ = os.MkdirAll("/run/sshd", 0o755)

	s.port = freePort(t)
	config := fmt.Sprintf(`Port %d
ListenAddress 127.0.0.1
HostKey %s
AuthorizedKeysFile %s
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
StrictModes no
UsePAM no
PidFile %s
Subsystem sftp internal-sftp
`, s.port, filepath.Join(dir, "host"), filepath.Join(dir, "authorized_keys"),
		filepath.Join(dir, "sshd.pid"))
	cfg := filepath.Join(dir, "sshd_config")
	writeFile(t, cfg, config)

	s.stderr = &syncBuffer{}
	s.cmd = exec.Command(sshd, "-D", "-e", "-f", cfg)
	s.cmd.Stdout, s.cmd.Stderr = s.stderr, s.stderr
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("start sshd: %v", err)
	}
	t.Cleanup(func() {
		_ = s.cmd.Process.Kill()
		_ = s.cmd.Wait()
	})
	eventually(t, 10*time.Second, "sshd to listen", func() bool {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", s.port))
		if err == nil {
			c.Close()
		}
		return err == nil
	})
	return s
}

// batch runs sftp commands against the server and fails the test on error.
func (s *sftpServer) batch(t *testing.T, commands ...string) {
	t.Helper()
	script := filepath.Join(t.TempDir(), "batch")
	writeFile(t, script, strings.Join(commands, "\n")+"\n")
	cmd := exec.Command("sftp", "-q", "-b", script, "-i", s.key, "-P", fmt.Sprint(s.port),
		"-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
		"-o", "BatchMode=yes", "-o", "LogLevel=ERROR", s.user+"@127.0.0.1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		// Not Fatal: deliveries run on their own goroutines.
		t.Errorf("sftp %v: %v\n%s\nsshd:\n%s", commands, err, out, s.stderr.String())
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// mustRun runs a command and marks the test failed if it fails. It does
// not stop the test, so it may be called from any goroutine.
func mustRun(t testing.TB, name string, args ...string) {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Errorf("%s %v: %v\n%s", name, args, err, out)
	}
}

func writeFile(t testing.TB, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}
