package io.evasan.nsc;

import io.evasan.scsi.ItNexus;
import io.evasan.scsi.ScsiStatus;
import io.evasan.scsi.ScsiTask;
import io.evasan.scsi.vendor.SnapshotMarkerCdbDescriptor;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Child JVM of {@link FullStackCrashTest}: opens the full stack, writes numbered 4 KiB blocks through
 * SCSI WRITE(10) and prints "ACK i" after each GOOD; after write {@link #MARKER_AFTER} it sends the
 * host snapshot command (C0h) and prints "MARKER seq". The parent kills it with kill -9.
 */
public final class FullStackCrashChild {
    static final int MARKER_AFTER = 150;
    static final int WRITES = 2000;

    static byte[] stamp(int i) {
        byte[] b = new byte[4096];
        ByteBuffer bb = ByteBuffer.wrap(b);
        for (int o = 0; o < b.length; o += 8) {
            bb.putInt(o, 0xB10C0000 ^ i).putInt(o + 4, i * 31 + o);
        }
        return b;
    }

    public static void main(String[] args) throws Exception {
        FullStack s = new FullStack(Path.of(args[0]), 512 * 1024);
        s.ctl.createLun("c", 8L << 20);
        s.ctl.presentLun("*", 0, "c");
        ItNexus n = s.ctl.scsiTarget().openNexus("iqn.child", "iqn.child,i,0x1", "iqn.t,t,0x1", 1);
        run(s, n, new byte[6], null, 0);   // power-on unit attention
        System.out.println("READY");
        for (int i = 0; i < WRITES; i++) {
            ScsiTask t = run(s, n, Nsc.write10((long) i * 8, 8, false), stamp(i), 4096);
            if (t.status() != ScsiStatus.GOOD) {
                System.out.println("FAIL " + i + " status " + t.status());
                System.exit(2);
            }
            System.out.println("ACK " + i);
            if (i == MARKER_AFTER - 1) {
                byte[] cdb = new byte[16];
                SnapshotMarkerCdbDescriptor.encode(cdb, SnapshotMarkerCdbDescriptor.SA_SNAPSHOT, 5, 16);
                ScsiTask m = run(s, n, cdb, null, 16);
                System.out.println("MARKER " + (m.status() == ScsiStatus.GOOD ? m.dataIn().getLong(0) : -1));
            }
        }
        Thread.sleep(600_000);
    }

    static ScsiTask run(FullStack s, ItNexus n, byte[] cdb, byte[] out, long edtl) throws Exception {
        ScsiTask t = new ScsiTask();
        boolean write = out != null;
        t.reset(n, 0, 1, ScsiTask.Attribute.SIMPLE, Math.max(cdb.length, 6), edtl, !write && edtl > 0, write);
        System.arraycopy(cdb, 0, t.cdb(), 0, cdb.length);
        if (write) {
            t.dataOut(ByteBuffer.wrap(out));
        }
        t.dataIn(ByteBuffer.allocate((int) Math.max(edtl, 0)));
        CompletableFuture<ScsiTask> f = new CompletableFuture<>();
        t.callback(f::complete);
        s.ctl.scsiTarget().submit(t);
        return f.get(60, TimeUnit.SECONDS);
    }
}
