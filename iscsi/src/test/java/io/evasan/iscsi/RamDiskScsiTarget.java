package io.evasan.iscsi;

import io.evasan.scsi.ItNexus;
import io.evasan.scsi.ScsiStatus;
import io.evasan.scsi.ScsiTarget;
import io.evasan.scsi.ScsiTask;
import io.evasan.scsi.TmfFunction;
import io.evasan.scsi.TmfResponse;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Test-only ScsiTarget over a byte array, LUN 0 only: TEST UNIT READY, INQUIRY (standard, VPD 0/80/83),
 * READ CAPACITY 10/16, READ/WRITE 6/10/16, REPORT LUNS, MODE SENSE 6/10, SYNCHRONIZE CACHE.
 * Completes synchronously. Exists to test the transport independently of the scsi module's executor.
 */
final class RamDiskScsiTarget implements ScsiTarget {
    static final int BLOCK = 512;
    final byte[] disk;
    volatile int submitted;
    volatile int lastCdbLength;
    volatile byte[] lastCdb;
    /** Every nexus opened, in order. */
    final List<ItNexus> nexuses = new CopyOnWriteArrayList<>();
    /** While true, submitted tasks are kept (not executed, not completed) until {@link #releaseHeld()}. */
    volatile boolean hold;
    private final List<ScsiTask> held = new CopyOnWriteArrayList<>();

    RamDiskScsiTarget(int bytes) {
        disk = new byte[bytes];
    }

    private record Nexus(String initiatorName, String initiatorPortId, String targetPortName, int relativeTargetPortId)
            implements ItNexus {
    }

    @Override
    public ItNexus openNexus(String initiatorName, String initiatorPortId, String targetPortName, int rel) {
        Nexus n = new Nexus(initiatorName, initiatorPortId, targetPortName, rel);
        nexuses.add(n);
        return n;
    }

    /** Tasks held so far (see {@link #hold}). */
    int heldCount() {
        return held.size();
    }

    /** Stops holding and executes the held tasks. */
    void releaseHeld() {
        hold = false;
        for (ScsiTask t : held) {
            held.remove(t);
            execute(t);
        }
    }

    @Override
    public void closeNexus(ItNexus nexus) {
    }

    @Override
    public TmfResponse taskManagement(ItNexus nexus, TmfFunction function, int lun, long referencedTaskTag) {
        return lun == 0 ? TmfResponse.FUNCTION_COMPLETE : TmfResponse.LUN_DOES_NOT_EXIST;
    }

    private static void sense(ScsiTask t, int key, int asc) {
        t.status(ScsiStatus.CHECK_CONDITION);
        byte[] s = t.sense();
        java.util.Arrays.fill(s, 0, 18, (byte) 0);
        s[0] = 0x70;
        s[2] = (byte) key;
        s[7] = 10;
        s[12] = (byte) asc;
        t.senseLength(18);
    }

    private static void dataIn(ScsiTask t, byte[] d, int alloc) {
        ByteBuffer b = t.dataIn();
        int n = (int) Math.min(Math.min(d.length, alloc), t.expectedDataTransferLength());
        b.clear();
        b.put(d, 0, n);
        b.flip();
        long want = Math.min(d.length, alloc);
        if (want > t.expectedDataTransferLength()) {
            t.residual(want - t.expectedDataTransferLength(), true);
        } else {
            t.residual(t.expectedDataTransferLength() - n, false);
        }
    }

    @Override
    public void submit(ScsiTask t) {
        submitted++;
        if (hold) {
            held.add(t);
            return;
        }
        execute(t);
    }

    private void execute(ScsiTask t) {
        byte[] c = t.cdb();
        lastCdbLength = t.cdbLength();
        lastCdb = java.util.Arrays.copyOf(c, t.cdbLength());
        int op = c[0] & 0xff;
        if (t.lun() != 0 && op != 0x12 && op != 0xa0) {
            sense(t, 0x05, 0x25);
            t.complete();
            return;
        }
        long blocks = disk.length / BLOCK;
        switch (op) {
            case 0x00, 0x35, 0x91 -> { }
            case 0x12 -> {
                int alloc = ((c[3] & 0xff) << 8) | (c[4] & 0xff);
                byte[] d;
                if ((c[1] & 1) == 0) {
                    d = new byte[36];
                    d[0] = (byte) (t.lun() == 0 ? 0 : 0x7f);
                    d[2] = 6;
                    d[3] = 2;
                    d[4] = 31;
                    System.arraycopy("EVASAN  RAMDISK-TEST    0001".getBytes(StandardCharsets.US_ASCII), 0, d, 8, 28);
                } else if (c[2] == 0) {
                    d = new byte[]{0, 0, 0, 3, 0, (byte) 0x80, (byte) 0x83};
                } else if ((c[2] & 0xff) == 0x80) {
                    d = new byte[]{0, (byte) 0x80, 0, 4, '0', '0', '0', '1'};
                } else if ((c[2] & 0xff) == 0x83) {
                    d = new byte[]{0, (byte) 0x83, 0, 12, 1, 3, 0, 8, 0x60, 0, 0, 0, 0, 0, 0, 1};
                } else {
                    sense(t, 0x05, 0x24);
                    break;
                }
                dataIn(t, d, alloc);
            }
            case 0x25 -> {
                byte[] d = ByteBuffer.allocate(8).putInt((int) (blocks - 1)).putInt(BLOCK).array();
                dataIn(t, d, 8);
            }
            case 0x9e -> {
                int alloc = ByteBuffer.wrap(c, 10, 4).getInt();
                byte[] d = ByteBuffer.allocate(32).putLong(blocks - 1).putInt(BLOCK).array();
                dataIn(t, d, alloc);
            }
            case 0xa0 -> {
                int alloc = ByteBuffer.wrap(c, 6, 4).getInt();
                byte[] d = new byte[16];
                d[3] = 8;
                dataIn(t, d, alloc);
            }
            case 0x1a, 0x5a -> {
                byte[] d = op == 0x1a ? new byte[]{3, 0, 0, 0} : new byte[]{0, 6, 0, 0, 0, 0, 0, 0};
                int alloc = op == 0x1a ? c[4] & 0xff : ((c[7] & 0xff) << 8) | (c[8] & 0xff);
                dataIn(t, d, alloc);
            }
            case 0x08, 0x0a, 0x28, 0x2a, 0x88, 0x8a -> rw(t, c, op, blocks);
            default -> sense(t, 0x05, 0x20);
        }
        t.complete();
    }

    private void rw(ScsiTask t, byte[] c, int op, long blocks) {
        long lba;
        long n;
        if (op == 0x08 || op == 0x0a) {
            lba = ((c[1] & 0x1f) << 16) | ((c[2] & 0xff) << 8) | (c[3] & 0xff);
            n = c[4] & 0xff;
            if (n == 0) {
                n = 256;
            }
        } else if (op == 0x28 || op == 0x2a) {
            lba = ByteBuffer.wrap(c, 2, 4).getInt() & 0xffffffffL;
            n = ((c[7] & 0xff) << 8) | (c[8] & 0xff);
        } else {
            lba = ByteBuffer.wrap(c, 2, 8).getLong();
            n = ByteBuffer.wrap(c, 10, 4).getInt() & 0xffffffffL;
        }
        if (lba + n > blocks) {
            sense(t, 0x05, 0x21);
            return;
        }
        long bytes = n * BLOCK;
        long edtl = t.expectedDataTransferLength();
        int xfer = (int) Math.min(bytes, edtl);
        boolean write = op == 0x0a || op == 0x2a || op == 0x8a;
        if (write) {
            ByteBuffer b = t.dataOut();
            b.get(b.position(), disk, (int) (lba * BLOCK), Math.min(xfer, b.remaining()));
        } else {
            ByteBuffer b = t.dataIn();
            b.clear();
            b.put(disk, (int) (lba * BLOCK), xfer);
            b.flip();
        }
        if (bytes != edtl) {
            t.residual(Math.abs(bytes - edtl), bytes > edtl);
        }
    }
}
