package tesseract

// modelCache keeps the most recently used initialised APIs, one per language
// string, because loading a model costs far more than a small page (about
// 80 ms for eng against about 120 ms to OCR phototest) and each costs tens of
// MB. It is tiny, so a slice ordered from least to most recently used beats a
// list plus map. Not safe for concurrent use.
type modelCache struct {
	max     int
	entries []cachedModel
}

type cachedModel struct {
	lang string
	api  *tessAPI
}

// get returns the API for lang and marks it most recently used.
func (c *modelCache) get(lang string) *tessAPI {
	for i, e := range c.entries {
		if e.lang == lang {
			copy(c.entries[i:], c.entries[i+1:])
			c.entries[len(c.entries)-1] = e
			return e.api
		}
	}
	return nil
}

// makeRoom evicts until one more model fits. Callers run it before loading,
// not after, so that at most max models are ever in memory at once.
func (c *modelCache) makeRoom() (evicted []string) {
	return c.shrink(c.max - 1)
}

// add stores a freshly loaded API as most recently used.
func (c *modelCache) add(lang string, api *tessAPI) {
	c.entries = append(c.entries, cachedModel{lang: lang, api: api})
	c.shrink(c.max)
}

// resize changes the capacity, evicting at once if it shrank.
func (c *modelCache) resize(n int) (evicted []string) {
	c.max = n
	return c.shrink(n)
}

// purge frees every model, e.g. when the tessdata directory changes.
func (c *modelCache) purge() (evicted []string) { return c.shrink(0) }

func (c *modelCache) shrink(n int) (evicted []string) {
	drop := len(c.entries) - max(n, 0)
	if drop <= 0 {
		return nil
	}
	for _, e := range c.entries[:drop] {
		e.api.delete()
		evicted = append(evicted, e.lang)
	}
	c.entries = append(c.entries[:0], c.entries[drop:]...)
	return evicted
}

// langs lists the cached language strings, least recently used first.
func (c *modelCache) langs() []string {
	out := make([]string, len(c.entries))
	for i, e := range c.entries {
		out[i] = e.lang
	}
	return out
}
