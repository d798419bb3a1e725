package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"text/tabwriter"
)

// compare prints one row per engine from the JSON reports of several runs
// (scripts/bench/ocr-throughput --engine a,b,c): the engines side by side on
// the same pages, the same machine and the same settings.
func compare(w io.Writer, files []string) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "\nengines side by side (mode txt,json; mean CER against the corpus ground truth)")
	fmt.Fprintln(tw, "engine\tpages\tpages/s\tmean CER\tmean latency ms\tengine CPU ms/page\tfailed\t")
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		var rep report
		if err := json.Unmarshal(data, &rep); err != nil {
			return fmt.Errorf("%s: %w", f, err)
		}
		for _, m := range rep.Modes {
			s := m.Server
			fmt.Fprintf(tw, "%s\t%d\t%.3f\t%.2f %%\t%.0f\t%.0f\t%d\t\n", rep.Engine, s.Pages, s.PagesPerSec, 100*s.MeanCER, s.LatencyMS, s.CPUPerPage, s.Failed)
		}
	}
	return tw.Flush()
}
