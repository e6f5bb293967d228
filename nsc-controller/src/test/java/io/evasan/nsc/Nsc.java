package io.evasan.nsc;

import io.evasan.nsc.cache.CacheConfig;
import io.evasan.scsi.ItNexus;
import io.evasan.scsi.ScsiStatus;
import io.evasan.scsi.ScsiTask;
import io.evasan.scsi.sense.SenseCodes;
import io.evasan.scsi.sense.SenseDataDescriptor;
import io.evasan.sharing.SharingConfig;
import io.evasan.sharing.SharingStats;
import io.evasan.sharing.SharingTrees;
import io.evasan.sharing.impl.SharingTreesImpl;
import io.evasan.sharing.spi.impl.MemorySegmentMaps;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/** Test fixture: a Controller over sharing trees on the in-memory segment maps, and a SCSI command runner. */
public final class Nsc implements AutoCloseable {
    public static final int SEG = 64 * 1024;
    public static final String HOST = "iqn.2026-01.test:host1";

    public final Path dir;
    public final SharingTrees trees;
    public Controller ctl;
    private final Consumer<ControllerConfig> tweak;

    public Nsc(String name) {
        this(name, c -> { });
    }

    public Nsc(String name, Consumer<ControllerConfig> tweak) {
        this(name, new SharingTreesImpl(new MemorySegmentMaps(SEG, 4096),
                SharingConfig.defaults().withBackground(false), SharingStats.standalone()), tweak);
    }

    public Nsc(String name, SharingTrees trees, Consumer<ControllerConfig> tweak) {
        try {
            this.dir = Files.createTempDirectory(Paths.get("target"), name);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        this.trees = trees;
        this.tweak = tweak;
        open();
    }

    public ControllerConfig config() {
        ControllerConfig c = new ControllerConfig(dir.resolve("state")).poolIdentity("test-pool")
                .cache(new CacheConfig().segmentSize(256 * 1024).segmentCount(16))
                .targetWorkers(4);
        tweak.accept(c);
        return c;
    }

    public Controller open() {
        ctl = Controller.open(config(), trees);
        return ctl;
    }

    public Controller reopen() {
        ctl.close();
        return open();
    }

    /** Opens a nexus for the initiator and clears the power-on unit attention. */
    public ItNexus nexus(String initiator) {
        return nexus(initiator, "1");
    }

    /** A nexus with its own ISID (several sessions of one initiator). */
    public ItNexus nexus(String initiator, String isid) {
        ItNexus n = ctl.scsiTarget().openNexus(initiator, initiator + ",i,0x" + isid, "iqn.2026-01.io.evasan:tgt,t,0x1", 1);
        run(n, 0, new byte[6], null, 0);   // TEST UNIT READY: eats POWER ON RESET
        return n;
    }

    /** Outcome of one command. */
    public static final class Result {
        public int status;
        public int sense;
        /** Sense-key-specific FIELD POINTER, or -1. */
        public int fieldPointer = -1;
        /** The sense bytes as returned (fixed format unless D_SENSE), or null. */
        public byte[] senseBytes;
        public byte[] data;

        public boolean good() {
            return status == ScsiStatus.GOOD;
        }

        @Override
        public String toString() {
            return "status=" + Integer.toHexString(status) + " sense=" + SenseCodes.toString(sense);
        }
    }

    public Result run(ItNexus n, int lun, byte[] cdb, byte[] dataOut, long edtl) {
        try {
            return result(submit(n, lun, cdb, dataOut, edtl).get(60, TimeUnit.SECONDS));
        } catch (Exception ex) {
            throw new AssertionError(ex);
        }
    }

    /** Runs a command, retrying past unit attentions (presentation changes, capacity changes). */
    public Result runNoUa(ItNexus n, int lun, byte[] cdb, byte[] dataOut, long edtl) {
        for (int i = 0; ; i++) {
            Result r = run(n, lun, cdb, dataOut, edtl);
            if (i < 8 && r.status == ScsiStatus.CHECK_CONDITION && SenseCodes.key(r.sense) == SenseCodes.KEY_UNIT_ATTENTION) {
                continue;
            }
            return r;
        }
    }

    public CompletableFuture<ScsiTask> submit(ItNexus n, int lun, byte[] cdb, byte[] dataOut, long edtl) {
        ScsiTask t = new ScsiTask();
        boolean write = dataOut != null;
        t.reset(n, lun, 1, ScsiTask.Attribute.SIMPLE, Math.max(cdb.length, 6), edtl, !write && edtl > 0, write);
        System.arraycopy(cdb, 0, t.cdb(), 0, cdb.length);
        if (write) {
            t.dataOut(ByteBuffer.wrap(dataOut));
        }
        t.dataIn(ByteBuffer.allocate((int) Math.max(edtl, 0)));
        CompletableFuture<ScsiTask> f = new CompletableFuture<>();
        t.callback(f::complete);
        ctl.scsiTarget().submit(t);
        return f;
    }

    public static Result result(ScsiTask t) {
        Result r = new Result();
        r.status = t.status();
        if (t.senseLength() > 0) {
            byte[] s = java.util.Arrays.copyOf(t.sense(), t.senseLength());
            r.sense = SenseDataDescriptor.code(s);
            r.senseBytes = s;
            r.fieldPointer = SenseDataDescriptor.fieldPointer(s, s.length);
        }
        ByteBuffer in = t.dataIn();
        if (in != null) {
            r.data = new byte[in.remaining()];
            in.duplicate().get(r.data);
        }
        return r;
    }

    // ---- CDB builders
    public static byte[] read10(long lba, int blocks) {
        byte[] c = new byte[10];
        c[0] = 0x28;
        put32(c, 2, lba);
        c[7] = (byte) (blocks >>> 8);
        c[8] = (byte) blocks;
        return c;
    }

    public static byte[] write10(long lba, int blocks, boolean fua) {
        byte[] c = new byte[10];
        c[0] = 0x2A;
        c[1] = (byte) (fua ? 0x08 : 0);
        put32(c, 2, lba);
        c[7] = (byte) (blocks >>> 8);
        c[8] = (byte) blocks;
        return c;
    }

    public static byte[] syncCache10() {
        byte[] c = new byte[10];
        c[0] = 0x35;
        return c;
    }

    public static byte[] tur() {
        return new byte[6];
    }

    private static void put32(byte[] c, int off, long v) {
        c[off] = (byte) (v >>> 24);
        c[off + 1] = (byte) (v >>> 16);
        c[off + 2] = (byte) (v >>> 8);
        c[off + 3] = (byte) v;
    }

    public static byte[] pattern(int bytes, long seed) {
        byte[] b = new byte[bytes];
        long x = seed * 0x9E3779B97F4A7C15L + 1;
        for (int i = 0; i < bytes; i++) {
            x ^= x << 13;
            x ^= x >>> 7;
            x ^= x << 17;
            b[i] = (byte) x;
        }
        return b;
    }

    /** Reads a tree disk directly (snapshot content). */
    public byte[] readDisk(long disk, long off, int len) {
        byte[] b = new byte[len];
        trees.read(disk, off, b, 0, len);
        return b;
    }

    @Override
    public void close() {
        if (ctl != null) {
            ctl.close();
        }
        trees.close();
    }
}
