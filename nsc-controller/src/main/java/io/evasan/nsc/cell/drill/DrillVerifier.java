package io.evasan.nsc.cell.drill;

import io.evasan.error.StorageException;
import io.evasan.nsc.cache.WriteCache;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.BitSet;
import java.util.concurrent.TimeUnit;

/**
 * A drill's own verifier: one writer thread writes {@link PatternBlockDescriptor} blocks to a scratch unit through
 * the same {@link WriteCache} host I/O enters (the cell's router, so the unit's owner's cache and its mirror), block
 * {@code n} once with sequence {@code n + 1}, keeping on through the fault; then {@link #finish} stops it, asks the
 * unit to be destaged and reads every acknowledged block back through the same path.
 *
 * <p>Invariants: a block counts as acknowledged only once its {@code write} returned; a write that threw is
 * counted as failed and never as lost (its block may hold the pattern or not); {@code verified + lost} equals the
 * acknowledged writes; a block is verified only if it reads back byte for byte as written.
 */
public final class DrillVerifier {
    /** The initiator id the verifier's writes carry (their own destage queue). */
    public static final int INITIATOR = 0x0D51_0001;
    private static final int READ_CHUNK_BLOCKS = 256;   // 1 MiB

    private final WriteCache path;
    private final int unit;
    private final long seed;
    private final int blocks;
    private final BitSet acked;
    private final Thread writer;
    private volatile boolean stop;
    private volatile long acknowledged;
    private volatile long failed;
    private volatile String lastFailure;

    /** What the read-back found. {@code firstLoss}: the first block that did not read back, or null. */
    public record Result(long acknowledged, long failed, long verified, long lost, String firstLoss) {
    }

    /** A verifier of unit {@code unit} ({@code sizeBytes}, a multiple of 4 KiB) writing with {@code seed}. */
    public DrillVerifier(WriteCache path, int unit, long sizeBytes, long seed) {
        if (sizeBytes <= 0 || sizeBytes % PatternBlockDescriptor.LENGTH != 0
                || sizeBytes / PatternBlockDescriptor.LENGTH > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("sizeBytes " + sizeBytes + ": a positive multiple of 4 KiB");
        }
        this.path = path;
        this.unit = unit;
        this.seed = seed;
        this.blocks = (int) (sizeBytes / PatternBlockDescriptor.LENGTH);
        this.acked = new BitSet(blocks);
        this.writer = new Thread(this::write, "evasan-drill-verifier-" + unit);
        writer.setDaemon(true);
    }

    /** Starts the writer. */
    public void start() {
        writer.start();
    }

    private void write() {
        for (int lba = 0; lba < blocks && !stop; lba++) {
            byte[] b = PatternBlockDescriptor.encode(seed, lba, lba + 1L);
            try {
                path.write(INITIATOR, unit, (long) lba * PatternBlockDescriptor.LENGTH, ByteBuffer.wrap(b), false);
                synchronized (acked) {
                    acked.set(lba);
                }
                acknowledged++;
            } catch (StorageException | IllegalStateException e) {
                failed++;
                lastFailure = e.getMessage();
                pause();
            }
        }
    }

    private static void pause() {
        try {
            Thread.sleep(1);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Writes acknowledged so far. */
    public long acknowledged() {
        return acknowledged;
    }

    /** The last write failure's message, or null. */
    public String lastFailure() {
        return lastFailure;
    }

    /**
     * Waits until {@code n} writes in all are acknowledged, the writer ran out of blocks, or {@code timeoutMillis}
     * passed; true in the first case.
     */
    public boolean awaitAcknowledged(long n, long timeoutMillis) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        while (acknowledged < n && writer.isAlive() && System.nanoTime() < deadline) {
            pause();
        }
        return acknowledged >= n;
    }

    /**
     * Stops the writer, asks for the unit to be destaged (a failure there is not a loss: the read-back decides),
     * and reads every acknowledged block back through the write path.
     */
    public Result finish() {
        stop = true;
        try {
            writer.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            path.synchronize(unit, 0, 0);
        } catch (StorageException e) {
            lastFailure = "synchronize: " + e.getMessage();
        }
        BitSet toCheck;
        synchronized (acked) {
            toCheck = (BitSet) acked.clone();
        }
        long verified = 0;
        long lost = 0;
        String firstLoss = null;
        byte[] chunk = new byte[READ_CHUNK_BLOCKS * PatternBlockDescriptor.LENGTH];
        for (int start = toCheck.nextSetBit(0); start >= 0; start = toCheck.nextSetBit(start)) {
            int n = Math.min(READ_CHUNK_BLOCKS, blocks - start);
            String readFailure = null;
            try {
                path.read(unit, (long) start * PatternBlockDescriptor.LENGTH,
                        ByteBuffer.wrap(chunk, 0, n * PatternBlockDescriptor.LENGTH));
            } catch (StorageException e) {
                readFailure = e.getMessage();
            }
            for (int i = 0; i < n; i++) {
                int lba = start + i;
                if (!toCheck.get(lba)) {
                    continue;
                }
                String why = readFailure != null ? "unreadable: " + readFailure : differs(chunk, i, lba);
                if (why == null) {
                    verified++;
                } else {
                    lost++;
                    if (firstLoss == null) {
                        firstLoss = "block " + lba + " " + why;
                    }
                }
            }
            start += n;
        }
        return new Result(acknowledged, failed, verified, lost, firstLoss);
    }

    /** Null when block {@code i} of {@code chunk} is what was written to {@code lba}, else what it holds. */
    private String differs(byte[] chunk, int i, int lba) {
        int off = i * PatternBlockDescriptor.LENGTH;
        byte[] got = Arrays.copyOfRange(chunk, off, off + PatternBlockDescriptor.LENGTH);
        byte[] want = PatternBlockDescriptor.encode(seed, lba, lba + 1L);
        if (Arrays.equals(got, want)) {
            return null;
        }
        try {
            PatternBlockDescriptor.Block b = PatternBlockDescriptor.decode(got, lba);
            return "holds the pattern of block " + b.lba() + " write " + b.sequence() + " (seed " + b.seed() + ")";
        } catch (StorageException e) {
            return "holds no pattern block (" + e.getMessage() + ")";
        }
    }
}
