package io.evasan.nsc;

import io.evasan.scsi.ItNexus;
import io.evasan.scsi.ScsiStatus;
import io.evasan.scsi.ScsiTask;

import java.nio.file.Path;

/**
 * Child JVM of {@link PresentedSnapshotCrashTest}: the full stack with a throttled destage (the NV cache
 * stays dirty), LUN "c" written, snapshot "c-s" taken and presented at host LUN 1; then numbered 4 KiB
 * blocks are written to the snapshot's host LUN through SCSI WRITE(10), "ACK i" printed after each
 * GOOD. The parent kills it with kill -9.
 */
public final class PresentedSnapshotCrashChild {
    static final int WRITES = 2000;

    public static void main(String[] args) throws Exception {
        FullStack s = new FullStack(Path.of(args[0]), 512 * 1024);
        s.ctl.createLun("c", 8L << 20);
        s.ctl.presentLun("*", 0, "c");
        ItNexus n = s.ctl.scsiTarget().openNexus("iqn.child", "iqn.child,i,0x1", "iqn.t,t,0x1", 1);
        FullStackCrashChild.run(s, n, new byte[6], null, 0);   // power-on unit attention
        s.ctl.snapshot("c", "c-s", false).taken().get();
        s.ctl.presentSnapshot("*", 1, "c-s");
        System.out.println("READY");
        for (int i = 0; i < WRITES; i++) {
            ScsiTask t = run(s, n, 1, Nsc.write10((long) i * 8, 8, false), FullStackCrashChild.stamp(i));
            for (int retry = 0; retry < 4 && t.status() != ScsiStatus.GOOD; retry++) {   // unit attentions after the presentation
                t = run(s, n, 1, Nsc.write10((long) i * 8, 8, false), FullStackCrashChild.stamp(i));
            }
            if (t.status() != ScsiStatus.GOOD) {
                System.out.println("FAIL " + i + " status " + t.status() + " sense "
                        + io.evasan.scsi.sense.SenseCodes.toString(Nsc.result(t).sense));
                System.exit(2);
            }
            System.out.println("ACK " + i);
        }
        Thread.sleep(600_000);
    }

    static ScsiTask run(FullStack s, ItNexus n, int lun, byte[] cdb, byte[] out) throws Exception {
        ScsiTask t = new ScsiTask();
        t.reset(n, lun, 1, ScsiTask.Attribute.SIMPLE, Math.max(cdb.length, 6), out.length, false, true);
        System.arraycopy(cdb, 0, t.cdb(), 0, cdb.length);
        t.dataOut(java.nio.ByteBuffer.wrap(out));
        t.dataIn(java.nio.ByteBuffer.allocate(0));
        java.util.concurrent.CompletableFuture<ScsiTask> f = new java.util.concurrent.CompletableFuture<>();
        t.callback(f::complete);
        s.ctl.scsiTarget().submit(t);
        return f.get(60, java.util.concurrent.TimeUnit.SECONDS);
    }
}
