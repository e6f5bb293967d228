package io.evasan.scsi;

import io.evasan.scsi.lu.LogicalUnit;
import io.evasan.scsi.lu.impl.MemoryLogicalUnit;
import io.evasan.scsi.lu.impl.PresentationTable;
import io.evasan.scsi.sense.SenseCodes;
import io.evasan.scsi.sense.SenseDataDescriptor;
import io.evasan.scsi.target.impl.DiskTarget;

import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Test harness: a DiskTarget over RAM LUNs and a synchronous command runner. */
public final class Harness implements AutoCloseable {
    public static final long BLOCKS = 8192;
    public final PresentationTable table = new PresentationTable();
    public final MemoryLogicalUnit lu0;
    public final DiskTarget target;

    public Harness() {
        this(BLOCKS);
    }

    public Harness(long blocks) {
        this(blocks, null);
    }

    /** A harness whose target has asymmetric logical unit access through {@code portGroups} (null: none). */
    public Harness(long blocks, io.evasan.scsi.alua.TargetPortGroups portGroups) {
        lu0 = new MemoryLogicalUnit("lu0", blocks);
        table.present(PresentationTable.ALL, 0, lu0);
        target = new DiskTarget(table, new io.evasan.scsi.target.ScsiStats(), 2, 256, portGroups);
    }

    public ItNexus open(String initiator, String isid, int relPort) {
        return target.openNexus(initiator, initiator + ",i,0x" + isid, "iqn.2026-01.io.evasan:tgt,t,0x1", relPort);
    }

    /** Opens a nexus and clears its POWER ON unit attention on LUN 0 with TEST UNIT READY. */
    public ItNexus openClean(String initiator, String isid) {
        return openClean(initiator, isid, 1);
    }

    /** {@link #openClean(String, String)} on relative target port {@code relPort}. */
    public ItNexus openClean(String initiator, String isid, int relPort) {
        ItNexus n = open(initiator, isid, relPort);
        Result r = run(n, 0, new byte[6], null, 0);
        if (r.status != ScsiStatus.CHECK_CONDITION || r.sense != SenseCodes.POWER_ON_RESET_OCCURRED) {
            throw new AssertionError("expected POR UA, got " + r);
        }
        return n;
    }

    /** Outcome of one command. */
    public static final class Result {
        public int status;
        public int sense;
        public long information = -1;
        public int fieldPointer = -1;
        public byte[] senseBytes;
        public byte[] data;
        public long residual;
        public boolean overflow;

        @Override
        public String toString() {
            return "status=" + Integer.toHexString(status) + " sense=" + SenseCodes.toString(sense)
                    + " info=" + information + " data=" + (data == null ? 0 : data.length)
                    + " residual=" + residual + (overflow ? " overflow" : "");
        }
    }

    public Result run(ItNexus n, int lun, byte[] cdb, byte[] dataOut, long edtl) {
        return run(n, lun, cdb, cdb.length, dataOut, edtl, ScsiTask.Attribute.SIMPLE);
    }

    public Result run(ItNexus n, int lun, byte[] cdb, int cdbLen, byte[] dataOut, long edtl, ScsiTask.Attribute attr) {
        CompletableFuture<ScsiTask> f = submit(n, lun, cdb, cdbLen, dataOut, edtl, attr, 1);
        try {
            return result(f.get(30, TimeUnit.SECONDS));
        } catch (Exception ex) {
            throw new AssertionError(ex);
        }
    }

    public CompletableFuture<ScsiTask> submit(ItNexus n, int lun, byte[] cdb, int cdbLen, byte[] dataOut, long edtl,
                                              ScsiTask.Attribute attr, long tag) {
        ScsiTask t = new ScsiTask();
        boolean write = dataOut != null;
        t.reset(n, lun, tag, attr, Math.max(cdbLen, 6), edtl, !write && edtl > 0, write);
        System.arraycopy(cdb, 0, t.cdb(), 0, Math.min(cdb.length, ScsiTask.MAX_CDB));
        if (write) {
            t.dataOut(ByteBuffer.wrap(dataOut));
        }
        t.dataIn(ByteBuffer.allocate((int) Math.max(edtl, 0)));
        CompletableFuture<ScsiTask> f = new CompletableFuture<>();
        t.callback(f::complete);
        target.submit(t);
        return f;
    }

    public static Result result(ScsiTask t) {
        Result r = new Result();
        r.status = t.status();
        r.residual = t.residual();
        r.overflow = t.residualOverflow();
        if (t.senseLength() > 0) {
            r.senseBytes = java.util.Arrays.copyOf(t.sense(), t.senseLength());
            r.sense = SenseDataDescriptor.code(r.senseBytes);
            r.information = SenseDataDescriptor.information(r.senseBytes, r.senseBytes.length);
            r.fieldPointer = SenseDataDescriptor.fieldPointer(r.senseBytes, r.senseBytes.length);
        }
        ByteBuffer in = t.dataIn();
        if (in != null) {
            r.data = new byte[in.remaining()];
            in.duplicate().get(r.data);
        }
        return r;
    }

    public static byte[] hex(String s) {
        s = s.replace(" ", "");
        byte[] b = new byte[s.length() / 2];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) Integer.parseInt(s.substring(2 * i, 2 * i + 2), 16);
        }
        return b;
    }

    public static byte[] pattern(int bytes, int seed) {
        byte[] b = new byte[bytes];
        for (int i = 0; i < bytes; i++) {
            b[i] = (byte) (seed * 31 + i * 7 + (i >>> 9));
        }
        return b;
    }

    public LogicalUnit lu() {
        return lu0;
    }

    @Override
    public void close() {
        target.close();
    }
}
