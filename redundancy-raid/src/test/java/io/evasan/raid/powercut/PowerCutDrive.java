package io.evasan.raid.powercut;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.raid.drive.Drive;
import io.evasan.raid.drive.DriveLabel;
import io.evasan.raid.drive.DriveLabelDescriptor;
import io.evasan.raid.drive.DriveState;
import io.evasan.raid.drive.QuorumArea;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.UUID;

/**
 * A {@link Drive} with a volatile write cache: writes since the last {@link #force} are kept in a
 * {@link VolatileLayer} (reads see them) and written to the wrapped drive only at {@link #force};
 * at the {@link PowerCut} they are dropped, applied or torn in a random order. The quorum area
 * (MLD) goes through the same cache.
 */
public final class PowerCutDrive implements Drive {
    private final PowerCut power;
    private final Drive inner;
    private final VolatileLayer layer;
    private final QuorumArea quorum = new Quorum();

    PowerCutDrive(PowerCut power, Drive inner) {
        this.power = power;
        this.inner = inner;
        this.layer = new VolatileLayer(new VolatileLayer.Backing() {
            @Override
            public void read(long pos, ByteBuffer dst) {
                inner.read(pos, dst);
            }

            @Override
            public void write(long pos, ByteBuffer src) {
                inner.write(pos, src);
            }

            @Override
            public void force() {
                inner.force();
            }
        });
        power.register(layer, inner::close);
    }

    private void checkIo() {
        DriveState s = inner.state();
        if (s != DriveState.AVAILABLE) {
            throw new StorageException(s == DriveState.FAILED ? ErrorCode.DRIVE_FAILED : ErrorCode.DRIVE_MISSING,
                    "drive " + inner.index() + " (" + inner.path() + ") is " + s);
        }
    }

    @Override
    public Path path() {
        return inner.path();
    }

    @Override
    public int index() {
        return inner.index();
    }

    @Override
    public DriveLabel label() {
        return inner.label();
    }

    @Override
    public DriveState state() {
        return inner.state();
    }

    @Override
    public QuorumArea quorumArea() {
        return quorum;
    }

    @Override
    public String repairLabelCopies() {
        synchronized (power) {
            power.tick("label repair on drive " + index());
            layer.force();
            return inner.repairLabelCopies();
        }
    }

    @Override
    public void writeLabel(DriveLabel l) {
        synchronized (power) {
            power.tick("label write on drive " + index());
            layer.force();
            inner.writeLabel(l);
        }
    }

    @Override
    public void read(long pos, ByteBuffer dst) {
        synchronized (power) {
            power.checkOn("read on drive " + index());
            checkIo();
            layer.read(pos, dst);
        }
    }

    @Override
    public void write(long pos, ByteBuffer src) {
        synchronized (power) {
            power.tick("write of " + src.remaining() + " bytes at " + pos + " on drive " + index());
            checkIo();
            layer.write(pos, src);
        }
    }

    @Override
    public void force() {
        synchronized (power) {
            power.tick("force of drive " + index());
            checkIo();
            layer.force();
        }
    }

    @Override
    public void fail() {
        inner.fail();
    }

    @Override
    public void pull() {
        synchronized (power) {
            layer.truncate(0); // a pulled drive loses its cache
            inner.pull();
        }
    }

    @Override
    public void markRemoved() {
        synchronized (power) {
            layer.truncate(0);
            inner.markRemoved();
        }
    }

    @Override
    public DriveLabel restore(UUID poolId) {
        return inner.restore(poolId);
    }

    @Override
    public void close() {
        synchronized (power) {
            if (!power.isCut() && inner.isAvailable()) {
                layer.force(); // an orderly shutdown flushes the cache
            }
            inner.close();
        }
    }

    @Override
    public String toString() {
        return "power-cut " + inner;
    }

    private final class Quorum implements QuorumArea {
        @Override
        public UUID driveId() {
            return label().driveId();
        }

        @Override
        public long sizeBytes() {
            return DriveLabelDescriptor.QUORUM_BYTES;
        }

        @Override
        public boolean isAvailable() {
            return PowerCutDrive.this.isAvailable();
        }

        @Override
        public void read(long offset, ByteBuffer dst) {
            PowerCutDrive.this.read(DriveLabelDescriptor.QUORUM_OFFSET + offset, dst);
        }

        @Override
        public void write(long offset, ByteBuffer src) {
            PowerCutDrive.this.write(DriveLabelDescriptor.QUORUM_OFFSET + offset, src);
        }

        @Override
        public void force() {
            PowerCutDrive.this.force();
        }
    }
}
