package tesseract

import (
	"strings"

	"github.com/ocrbox/ocrbox/plugins/sdk"
)

// pageWords lists the recognised words in reading order. Block, paragraph and
// line are numbered from 1 across the page, like the ids in tesseract's hOCR,
// so one number identifies a line without the enclosing block. A number only
// advances when a word is emitted, so regions without text (pictures,
// rules) leave no gaps.
func pageWords(api *tessAPI) []*sdk.Word {
	it := api.iterator()
	if it == nil {
		return nil
	}
	defer it.delete()
	var (
		words                      []*sdk.Word
		block, para, line          int32
		newBlock, newPara, newLine bool
	)
	for {
		// A new block or paragraph always starts a new line, so the (costly)
		// outer checks only run at a line start: ~1 call per word, not 3.
		if it.isAtBeginningOf(levelLine) {
			newLine = true
			if it.isAtBeginningOf(levelPara) {
				newPara = true
				newBlock = newBlock || it.isAtBeginningOf(levelBlock)
			}
		}
		text := it.text(levelWord)
		x0, y0, x1, y1, ok := it.boundingBox(levelWord)
		if ok && strings.TrimSpace(text) != "" {
			if newBlock {
				block++
			}
			if newPara {
				para++
			}
			if newLine {
				line++
			}
			newBlock, newPara, newLine = false, false, false
			words = append(words, &sdk.Word{
				Text:       text,
				X0:         int32(x0),
				Y0:         int32(y0),
				X1:         int32(x1),
				Y1:         int32(y1),
				Confidence: it.confidence(levelWord),
				Block:      block,
				Paragraph:  para,
				Line:       line,
			})
		}
		if !it.next(levelWord) {
			return words
		}
	}
}
