package sdk

// PathReader is implemented by engines that read RecognizeRequest.ImagePath
// themselves, e.g. decoding straight from the file so the page's encoded
// bytes never sit in memory. For other engines the SDK reads the file into
// Image before calling Recognize, so they need not care how the host sent
// the page.
//
//	func (e *myEngine) ReadsImagePath() bool { return true }
//
//	func (e *myEngine) Recognize(ctx context.Context, r *sdk.RecognizeRequest) (*sdk.RecognizeResponse, error) {
//		if p := r.GetImagePath(); p != "" && len(r.GetImage()) == 0 {
//			return e.recognizeFile(ctx, p, r)
//		}
//		return e.recognizeBytes(ctx, r.GetImage(), r)
//	}
type PathReader interface {
	ReadsImagePath() bool
}
