package sdk

import (
	"context"
	"fmt"
	"os"

	pb "github.com/ocrbox/ocrbox/plugins/sdk/proto/ocrboxv1"
)

type engineServer struct {
	pb.UnimplementedOCREngineServer
	impl OCREngine
}

func (s *engineServer) Configure(ctx context.Context, r *pb.ConfigureRequest) (*pb.ConfigureResponse, error) {
	return &pb.ConfigureResponse{}, toStatus(s.impl.Configure(ctx, r.GetSettings()))
}

func (s *engineServer) Info(ctx context.Context, _ *pb.InfoRequest) (*pb.EngineInfo, error) {
	info, err := s.impl.Info(ctx)
	if err != nil {
		return nil, toStatus(err)
	}
	info.ProtocolVersion = ProtocolVersion
	// This adapter reads image_path for engines that want bytes, so every
	// Go engine can be sent pages by path.
	info.AcceptsPath = true
	return info, nil
}

func (s *engineServer) Recognize(ctx context.Context, r *pb.RecognizeRequest) (*pb.RecognizeResponse, error) {
	if err := s.loadImage(r); err != nil {
		return nil, toStatus(err)
	}
	resp, err := s.impl.Recognize(ctx, r)
	return resp, toStatus(err)
}

// loadImage reads a page sent by path into Image, unless the engine reads
// paths itself (PathReader).
func (s *engineServer) loadImage(r *pb.RecognizeRequest) error {
	if r.GetImagePath() == "" || len(r.GetImage()) > 0 {
		return nil
	}
	if pr, ok := s.impl.(PathReader); ok && pr.ReadsImagePath() {
		return nil
	}
	data, err := os.ReadFile(r.GetImagePath())
	if err != nil {
		// The host's file, not the page's content: transient.
		return fmt.Errorf("read page image: %w", err)
	}
	r.Image = data
	return nil
}

// EngineClient is the host's view of an engine plugin process.
type EngineClient struct {
	c pb.OCREngineClient
}

// Configure implements OCREngine.
func (c *EngineClient) Configure(ctx context.Context, settings map[string]string) error {
	_, err := c.c.Configure(ctx, &pb.ConfigureRequest{Settings: settings})
	return fromStatus(ctx, err)
}

// Info implements OCREngine.
func (c *EngineClient) Info(ctx context.Context) (*EngineInfo, error) {
	info, err := c.c.Info(ctx, &pb.InfoRequest{})
	return info, fromStatus(ctx, err)
}

// Recognize implements OCREngine.
func (c *EngineClient) Recognize(ctx context.Context, r *RecognizeRequest) (*RecognizeResponse, error) {
	resp, err := c.c.Recognize(ctx, r)
	return resp, fromStatus(ctx, err)
}

var _ OCREngine = (*EngineClient)(nil)
