package main

import (
	"fmt"
	"math"
	"os"
	"strings"
	"time"
)

type report struct {
	c       config
	docs    []*doc
	tools   []tool
	results [][]outcome // [doc][tool]
	elapsed time.Duration
}

func newReport(c config, docs []*doc, tools []tool, results [][]outcome, elapsed time.Duration) *report {
	return &report{c: c, docs: docs, tools: tools, results: results, elapsed: elapsed}
}

// cell is one variant × tool: means over the variant's documents, time
// over its pages.
type cell struct {
	recall, cer       float64
	wallPage, cpuPage float64 // seconds
	failed            int
}

func (r *report) rowVariants() []variant {
	var out []variant
	for _, v := range variants {
		for _, d := range r.docs {
			if d.variant.key == v.key {
				out = append(out, v)
				break
			}
		}
	}
	return out
}

func (r *report) cell(v variant, t int) (cell, int, int) {
	var c cell
	var n, pages int
	var wall, cpu time.Duration
	for i, d := range r.docs {
		if d.variant.key != v.key {
			continue
		}
		o := r.results[i][t]
		if o.err != nil {
			c.failed++
			continue
		}
		n++
		pages += d.pages
		c.recall += wordRecall(d.truth, o.text)
		c.cer += cer(d.truth, o.text)
		wall += o.wall
		cpu += o.cpu
	}
	if n == 0 {
		return cell{recall: math.NaN(), cer: math.NaN(), wallPage: math.NaN(), cpuPage: math.NaN(), failed: c.failed}, 0, 0
	}
	c.recall /= float64(n)
	c.cer /= float64(n)
	c.wallPage = wall.Seconds() / float64(pages)
	c.cpuPage = cpu.Seconds() / float64(pages)
	return c, n, pages
}

func (r *report) markdown() string {
	var b strings.Builder
	if r.c.header != "" {
		if h, err := os.ReadFile(r.c.header); err == nil {
			for _, l := range strings.Split(strings.TrimSpace(string(h)), "\n") {
				fmt.Fprintf(&b, "    %s\n", l)
			}
			b.WriteString("\n")
		}
	}
	var pages []string
	seen := map[string]bool{}
	for _, d := range r.docs {
		if !seen[d.page] {
			seen[d.page] = true
			pages = append(pages, d.page)
		}
	}
	fmt.Fprintf(&b, "Pages: %s. %d documents per tool, one at a time, the tools taking turns; %.1f min in all.\n\n",
		strings.Join(pages, ", "), len(r.docs), r.elapsed.Minutes())

	var names []string
	for _, t := range r.tools {
		names = append(names, t.name())
	}
	b.WriteString("| variant | docs / pages |")
	for _, m := range []string{"word recall", "CER", "s/page wall (CPU)"} {
		for _, n := range names {
			fmt.Fprintf(&b, " %s %s |", m, n)
		}
	}
	b.WriteString("\n|---|---:|" + strings.Repeat("---:|", 3*len(names)) + "\n")
	for _, v := range r.rowVariants() {
		cells := make([]cell, len(r.tools))
		var docs, pgs int
		best := math.Inf(-1)
		for t := range r.tools {
			var n, p int
			cells[t], n, p = r.cell(v, t)
			docs, pgs = max(docs, n), max(pgs, p)
			if !math.IsNaN(cells[t].recall) {
				best = math.Max(best, cells[t].recall)
			}
		}
		fmt.Fprintf(&b, "| %s | %d / %d |", v.label, docs, pgs)
		for _, c := range cells {
			s := num(c.recall, "%.3f", c.failed)
			// Ties as printed are ties: all of them bold.
			if len(cells) > 1 && !math.IsNaN(c.recall) && fmt.Sprintf("%.3f", c.recall) == fmt.Sprintf("%.3f", best) {
				s = "**" + s + "**"
			}
			fmt.Fprintf(&b, " %s |", s)
		}
		for _, c := range cells {
			fmt.Fprintf(&b, " %s |", num(100*c.cer, "%.1f %%", c.failed))
		}
		for _, c := range cells {
			if math.IsNaN(c.wallPage) {
				fmt.Fprintf(&b, " %s |", num(math.NaN(), "", c.failed))
				continue
			}
			fmt.Fprintf(&b, " %.2f (%.2f) |", c.wallPage, c.cpuPage)
		}
		b.WriteString("\n")
	}
	b.WriteString("\nword recall: mean over the documents of the share of ground-truth words found (case-folded, punctuation stripped, each as often as it occurs); ")
	b.WriteString("CER: mean character error rate (Levenshtein over whitespace-collapsed text / reference length); ")
	b.WriteString("s/page: wall seconds per page from handing the file over to having the text, and in brackets the CPU seconds of every process involved. ")
	b.WriteString("CLI on a PDF: `pdftoppm -r 300 -gray` first, counted in its time.\n")
	if s := r.summary(); s != "" {
		b.WriteString("\n" + s + "\n")
	}

	b.WriteString("\nPer document (word recall; what ocrbox's JSON says it found: orientation, skew):\n\n| variant | page |")
	for _, n := range names {
		fmt.Fprintf(&b, " %s |", n)
	}
	b.WriteString(" notes |\n|---|---|" + strings.Repeat("---:|", len(names)) + "---|\n")
	for i, d := range r.docs {
		fmt.Fprintf(&b, "| %s | %s |", d.variant.key, d.page)
		var notes []string
		for t, o := range r.results[i] {
			if o.err != nil {
				fmt.Fprintf(&b, " failed |")
				notes = append(notes, fmt.Sprintf("%s: %s", r.tools[t].name(), oneLine(o.err.Error(), 160)))
				continue
			}
			fmt.Fprintf(&b, " %.3f |", wordRecall(d.truth, o.text))
			if o.note != "" {
				notes = append(notes, fmt.Sprintf("%s: %s", r.tools[t].name(), o.note))
			}
		}
		fmt.Fprintf(&b, " %s |\n", strings.ReplaceAll(strings.Join(notes, "; "), "|", "/"))
	}
	return b.String()
}

// summary states ocrbox's worst turned or skewed row against its upright
// row, the figure issue 14 §1 sets a target for.
func (r *report) summary() string {
	t := r.toolIndex("ocrbox")
	if t < 0 {
		return ""
	}
	up, _, _ := r.cell(variants[0], t)
	if math.IsNaN(up.recall) {
		return ""
	}
	worst, worstV := math.Inf(1), ""
	for _, v := range r.rowVariants() {
		if !v.rotation {
			continue
		}
		c, _, _ := r.cell(v, t)
		if c.recall < worst {
			worst, worstV = c.recall, v.label
		}
	}
	if worstV == "" {
		return ""
	}
	return fmt.Sprintf("ocrbox's worst turned or skewed row: %s, word recall %.3f against %.3f upright (%+.3f; target: no more than 0.02 below).",
		worstV, worst, up.recall, worst-up.recall)
}

// check lists the turned or skewed variants where ocrbox's recall is more
// than maxDrop below its upright recall, or where ocrbox failed.
func (r *report) check(maxDrop float64) []string {
	t := r.toolIndex("ocrbox")
	if t < 0 {
		return []string{"-assert needs ocrbox among -tools"}
	}
	up, _, _ := r.cell(variants[0], t)
	if math.IsNaN(up.recall) {
		return []string{"no upright result from ocrbox"}
	}
	var msgs []string
	for _, v := range r.rowVariants() {
		if !v.rotation {
			continue
		}
		c, _, _ := r.cell(v, t)
		switch {
		case c.failed > 0:
			msgs = append(msgs, fmt.Sprintf("%s: %d document(s) failed", v.label, c.failed))
		case c.recall < up.recall-maxDrop:
			msgs = append(msgs, fmt.Sprintf("%s: word recall %.3f, more than %.2f below upright's %.3f", v.label, c.recall, maxDrop, up.recall))
		}
	}
	return msgs
}

func (r *report) failures() int {
	n := 0
	for _, row := range r.results {
		for _, o := range row {
			if o.err != nil {
				n++
			}
		}
	}
	return n
}

func (r *report) toolIndex(name string) int {
	for i, t := range r.tools {
		if t.name() == name {
			return i
		}
	}
	return -1
}

func num(v float64, format string, failed int) string {
	s := "—"
	if !math.IsNaN(v) {
		s = fmt.Sprintf(format, v)
	}
	if failed > 0 {
		s += fmt.Sprintf(" (%d failed)", failed)
	}
	return s
}

func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > n {
		s = s[:n] + "…"
	}
	return s
}
