package io.evasan.nsc.cell.mirror;

/**
 * Settings of one cache's mirror channel ({@link EventBusMirrorChannel}).
 *
 * @param self              this controller's name ("A"), the header {@code LinkSwitch.FROM} of its frames
 * @param partner           the partner's name ("B"); frames go to {@link MirrorEndpoint#address(String, String)
 *                          address(partner, cache)}
 * @param timeoutMillis     a frame not answered within this is lost: the channel sends again from the first
 *                          unacknowledged message (default 200)
 * @param maxTimeouts       the partner is reported lost after this many failed frames in a row without the
 *                          acknowledgement advancing (timeouts, refusals, a missing endpoint; default 10)
 * @param maxInFlight       frames sent and not yet answered, at most (default 4)
 * @param maxFrameBytes     payload of one frame, at most (a larger batch goes alone; default 1 MiB)
 * @param maxUnackedBatches batches kept until acknowledged, at most (default 4096)
 * @param maxUnackedBytes   bytes kept until acknowledged, at most (default 64 MiB); a batch is always accepted
 *                          into an empty window
 */
public record MirrorOptions(String self, String partner, long timeoutMillis, int maxTimeouts, int maxInFlight,
                            int maxFrameBytes, int maxUnackedBatches, long maxUnackedBytes) {
    public MirrorOptions {
        if (self == null || partner == null || self.equals(partner)) {
            throw new IllegalArgumentException("two different controller names: " + self + ", " + partner);
        }
        if (timeoutMillis < 1 || maxTimeouts < 1 || maxInFlight < 1 || maxFrameBytes < 1 || maxUnackedBatches < 1
                || maxUnackedBytes < 1) {
            throw new IllegalArgumentException("mirror options must be positive: " + timeoutMillis + " ms, "
                    + maxTimeouts + " timeouts, " + maxInFlight + " in flight, " + maxFrameBytes + " B/frame, "
                    + maxUnackedBatches + " batches, " + maxUnackedBytes + " B");
        }
    }

    public static MirrorOptions defaults(String self, String partner) {
        return new MirrorOptions(self, partner, 200, 10, 4, 1 << 20, 4096, 64L << 20);
    }

    public MirrorOptions withTimeout(long timeoutMillis, int maxTimeouts) {
        return new MirrorOptions(self, partner, timeoutMillis, maxTimeouts, maxInFlight, maxFrameBytes,
                maxUnackedBatches, maxUnackedBytes);
    }

    public MirrorOptions withWindow(int maxInFlight, int maxFrameBytes, int maxUnackedBatches, long maxUnackedBytes) {
        return new MirrorOptions(self, partner, timeoutMillis, maxTimeouts, maxInFlight, maxFrameBytes,
                maxUnackedBatches, maxUnackedBytes);
    }
}
