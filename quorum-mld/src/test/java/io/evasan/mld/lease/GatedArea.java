package io.evasan.mld.lease;

import io.evasan.raid.drive.QuorumArea;

import java.nio.ByteBuffer;
import java.util.UUID;

/** One controller's view of a shared quorum area: runs {@code gate} (which may block) before every I/O. */
final class GatedArea implements QuorumArea {
    private final QuorumArea inner;
    private final Runnable gate;

    GatedArea(QuorumArea inner, Runnable gate) {
        this.inner = inner;
        this.gate = gate;
    }

    @Override
    public UUID driveId() {
        return inner.driveId();
    }

    @Override
    public long sizeBytes() {
        return inner.sizeBytes();
    }

    @Override
    public boolean isAvailable() {
        return inner.isAvailable();
    }

    @Override
    public void read(long offset, ByteBuffer dst) {
        gate.run();
        inner.read(offset, dst);
    }

    @Override
    public void write(long offset, ByteBuffer src) {
        gate.run();
        inner.write(offset, src);
    }

    @Override
    public void force() {
        gate.run();
        inner.force();
    }
}
