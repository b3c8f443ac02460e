// The smoke test of the go catalog image: `go run /smoke/hello.go` compiles this with
// the image's CGO_ENABLED=0 and runs it. It says whether its own executable is
// statically linked (no PT_INTERP program header, so no dynamic loader), so that the
// same build runs in `static`. It reads the ELF header itself and imports only `os`
// and `runtime`: the build fits the read-only root's small /tmp.
package main

import (
	"os"
	"runtime"
)

// little reads an n-byte little-endian number (every architecture the catalog builds).
func little(b []byte, at, n int) int {
	v := 0
	for i := n - 1; i >= 0; i-- {
		v = v<<8 | int(b[at+i])
	}
	return v
}

func main() {
	self, err := os.ReadFile("/proc/self/exe")
	if err != nil {
		panic(err)
	}
	const ptInterp = 3
	phoff, phentsize, phnum := little(self, 0x20, 8), little(self, 0x36, 2), little(self, 0x38, 2)
	static := string(self[:4]) == "\x7fELF" && self[4] == 2
	for i := 0; i < phnum; i++ {
		if little(self, phoff+i*phentsize, 4) == ptInterp {
			static = false
		}
	}
	verdict := "false"
	if static {
		verdict = "true"
	}
	os.Stdout.WriteString("hello from go, statically linked " + verdict + ", " + runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH + "\n")
}
