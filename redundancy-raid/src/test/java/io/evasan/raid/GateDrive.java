package io.evasan.raid;

import io.evasan.raid.drive.Drive;
import io.evasan.raid.drive.DriveLabel;
import io.evasan.raid.drive.DriveOpener;
import io.evasan.raid.drive.DriveState;
import io.evasan.raid.drive.QuorumArea;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;

/**
 * A drive double that holds one chosen write (drive index and byte position) before it reaches the file until
 * the test opens the gate: a deterministic way to let other work run while a write is in flight.
 */
final class GateDrive implements Drive {
    /** The gate shared by every drive an opener made: armed for one write. */
    static final class Gate {
        final CountDownLatch reached = new CountDownLatch(1);
        final CountDownLatch open = new CountDownLatch(1);
        private volatile int drive = -1;
        private volatile long pos = -1;

        void arm(int driveIndex, long position) {
            pos = position;
            drive = driveIndex;
        }

        DriveOpener opener() {
            Gate g = this;
            return new DriveOpener() {
                @Override
                public Drive open(Path path, int index, DriveLabel expected, Drive.ErrorListener listener) {
                    return new GateDrive(g, DriveOpener.FILES.open(path, index, expected, listener));
                }

                @Override
                public Drive format(Path path, int index, long sizeBytes, DriveLabel label, Drive.ErrorListener l) {
                    return new GateDrive(g, DriveOpener.FILES.format(path, index, sizeBytes, label, l));
                }
            };
        }

        void pass(int index, long position) {
            synchronized (this) {
                if (drive != index || pos != position) {
                    return;
                }
                drive = -1;
            }
            reached.countDown();
            try {
                open.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private final Gate gate;
    private final Drive d;

    GateDrive(Gate gate, Drive d) {
        this.gate = gate;
        this.d = d;
    }

    @Override
    public Path path() {
        return d.path();
    }

    @Override
    public int index() {
        return d.index();
    }

    @Override
    public DriveLabel label() {
        return d.label();
    }

    @Override
    public DriveState state() {
        return d.state();
    }

    @Override
    public QuorumArea quorumArea() {
        return d.quorumArea();
    }

    @Override
    public String repairLabelCopies() {
        return d.repairLabelCopies();
    }

    @Override
    public void writeLabel(DriveLabel l) {
        d.writeLabel(l);
    }

    @Override
    public void read(long pos, ByteBuffer dst) {
        d.read(pos, dst);
    }

    @Override
    public void write(long pos, ByteBuffer src) {
        gate.pass(d.index(), pos);
        d.write(pos, src);
    }

    @Override
    public void force() {
        d.force();
    }

    @Override
    public void fail() {
        d.fail();
    }

    @Override
    public void pull() {
        d.pull();
    }

    @Override
    public void markRemoved() {
        d.markRemoved();
    }

    @Override
    public DriveLabel restore(UUID poolId) {
        return d.restore(poolId);
    }

    @Override
    public void close() {
        d.close();
    }
}
