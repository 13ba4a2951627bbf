// Package tap writes TAP version 13 (https://testanything.org/tap-version-13-specification.html).
//
// urun's stand-in for github.com/mndrix/tap-go, which Debian does not
// package: the runtime-tools validation suite imports it under that path.
// Same exported API (New, Header, Ok, Pass, Fail, Skip, Todo, Count,
// AutoPlan, Diagnostic, Diagnosticf, YAML, Check), written for urun's
// tests/conformance/build.sh.  YAML blocks are emitted as indented JSON,
// which is valid YAML 1.2 (flow style).
package tap

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"testing/quick"
)

// T holds the state of one TAP stream.
type T struct {
	printed *int // test points printed so far, shared with Todo copies

	// TODO marks every following test point with the TODO directive.
	TODO bool

	// Writer receives the output; os.Stdout when nil.
	Writer io.Writer
}

// New returns a TAP writer on standard output.
func New() *T {
	return &T{printed: new(int)}
}

func (t *T) out() io.Writer {
	if t.Writer == nil {
		return os.Stdout
	}
	return t.Writer
}

func (t *T) number() int {
	if t.printed == nil {
		t.printed = new(int)
	}
	*t.printed++
	return *t.printed
}

// Header prints the version line and, when count > 0, the plan.
func (t *T) Header(count int) {
	fmt.Fprintln(t.out(), "TAP version 13")
	if count > 0 {
		fmt.Fprintf(t.out(), "1..%d\n", count)
	}
}

// Ok prints one test point that passed when ok is true.
func (t *T) Ok(ok bool, description string) {
	status := "ok"
	if !ok {
		status = "not ok"
	}
	line := fmt.Sprintf("%s %d - %s", status, t.number(), oneLine(description))
	if t.TODO {
		line += " # TODO"
	}
	fmt.Fprintln(t.out(), line)
}

// Pass prints a passing test point.
func (t *T) Pass(description string) { t.Ok(true, description) }

// Fail prints a failing test point.
func (t *T) Fail(description string) { t.Ok(false, description) }

// Skip prints count skipped test points.
func (t *T) Skip(count int, description string) {
	for i := 0; i < count; i++ {
		fmt.Fprintf(t.out(), "ok %d # SKIP %s\n", t.number(), oneLine(description))
	}
}

// Todo returns a writer on the same stream (same numbering) whose test
// points carry the TODO directive.
func (t *T) Todo() *T {
	if t.printed == nil {
		t.printed = new(int)
	}
	c := *t
	c.TODO = true
	return &c
}

// Count returns how many test points were printed.
func (t *T) Count() int {
	if t.printed == nil {
		return 0
	}
	return *t.printed
}

// AutoPlan prints the plan for the test points printed so far.
func (t *T) AutoPlan() {
	fmt.Fprintf(t.out(), "1..%d\n", t.Count())
}

// Diagnostic prints message as comment lines.
func (t *T) Diagnostic(message string) {
	for _, l := range strings.Split(strings.TrimRight(message, "\n"), "\n") {
		fmt.Fprintln(t.out(), "# "+l)
	}
}

// Diagnosticf prints a formatted message as comment lines.
func (t *T) Diagnosticf(format string, a ...interface{}) {
	t.Diagnostic(fmt.Sprintf(format, a...))
}

// YAML prints message as a YAML block attached to the last test point.
func (t *T) YAML(message interface{}) error {
	data, err := json.MarshalIndent(message, "  ", "  ")
	if err != nil {
		return err
	}
	fmt.Fprintf(t.out(), "  ---\n  %s\n  ...\n", data)
	return nil
}

// Check runs testing/quick on function and reports the result as one
// test point.
func (t *T) Check(function interface{}, description string) {
	err := quick.Check(function, nil)
	t.Ok(err == nil, description)
	if err != nil {
		t.Diagnostic(err.Error())
	}
}

// A description ends at the first newline: the rest would break the line.
func oneLine(s string) string {
	return strings.ReplaceAll(s, "\n", " ")
}
