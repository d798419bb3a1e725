package sdk

import (
	"context"

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
	return info, nil
}

func (s *engineServer) Recognize(ctx context.Context, r *pb.RecognizeRequest) (*pb.RecognizeResponse, error) {
	resp, err := s.impl.Recognize(ctx, r)
	return resp, toStatus(err)
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
