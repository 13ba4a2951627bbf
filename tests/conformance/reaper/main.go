// reaper: run one validation program and remove exactly what it left behind.
//
//	reaper [-cleanup CMD] -- PROGRAM [ARGS...]
//
// Becomes a child subreaper (prctl(2) PR_SET_CHILD_SUBREAPER, Linux 3.4),
// so every process PROGRAM leaves behind — container inits, the
// `unshare ... sleep 10000` of linux_ns_path_type — is reparented here
// instead of to PID 1.  After PROGRAM exits, CMD runs (through sh -c; it
// deletes the containers whose bundles PROGRAM made), then every process
// still reparented here is killed by its PID and reaped.  Nothing outside
// this process tree is touched.  Exits with PROGRAM's status (128+signal
// when killed); each leftover is named on stderr.
//
// Part of urun's tests/conformance (not of runtime-tools).
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

func main() {
	cleanup := flag.String("cleanup", "", "shell command to run after PROGRAM")
	timeout := flag.Duration("timeout", 0, "kill PROGRAM after this long (0: never)")
	flag.Parse()
	if flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: reaper [-cleanup CMD] [-timeout D] -- PROGRAM [ARGS...]")
		os.Exit(2)
	}
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		fmt.Fprintf(os.Stderr, "reaper: prctl PR_SET_CHILD_SUBREAPER: %v\n", err)
		os.Exit(2)
	}

	status := run(flag.Args(), *timeout)
	if *cleanup != "" {
		c := exec.Command("sh", "-c", *cleanup)
		c.Stdout, c.Stderr = os.Stderr, os.Stderr
		_ = c.Run()
	}
	killLeftovers()
	os.Exit(status)
}

func run(argv []string, timeout time.Duration) int {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(os.Stderr, "reaper: %v\n", err)
		return 127
	}
	if timeout > 0 {
		timer := time.AfterFunc(timeout, func() {
			fmt.Fprintf(os.Stderr, "reaper: %s: timed out after %v\n", argv[0], timeout)
			_ = cmd.Process.Kill()
		})
		defer timer.Stop()
	}
	err := cmd.Wait()
	if err == nil {
		return 0
	}
	if ee, ok := err.(*exec.ExitError); ok {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return 128 + int(ws.Signal())
		}
		return ee.ExitCode()
	}
	return 1
}

// children lists the PIDs whose parent is this process.
// /proc/PID/task/TID/children needs CONFIG_PROC_CHILDREN (Debian has it).
func children() []int {
	var pids []int
	tasks, _ := filepath.Glob("/proc/self/task/*/children")
	for _, f := range tasks {
		data, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		for _, s := range strings.Fields(string(data)) {
			if pid, err := strconv.Atoi(s); err == nil {
				pids = append(pids, pid)
			}
		}
	}
	return pids
}

func comm(pid int) string {
	data, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	return strings.TrimSpace(string(data))
}

// A killed leftover's own orphans are reparented here in turn: loop until
// none is left (bounded, in case something keeps forking).
func killLeftovers() {
	for round := 0; round < 50; round++ {
		reap()
		pids := children()
		if len(pids) == 0 {
			return
		}
		for _, pid := range pids {
			fmt.Fprintf(os.Stderr, "reaper: killing leftover process %d (%s)\n", pid, comm(pid))
			_ = unix.Kill(pid, unix.SIGKILL)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func reap() {
	for {
		var ws unix.WaitStatus
		pid, err := unix.Wait4(-1, &ws, unix.WNOHANG, nil)
		if pid <= 0 || err != nil {
			return
		}
	}
}
