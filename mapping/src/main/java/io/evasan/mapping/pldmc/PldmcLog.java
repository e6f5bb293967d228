package io.evasan.mapping.pldmc;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.evasan.mapping.pldmc.PldmcLogDescriptor.*;

/**
 * The persisted per-LUN maps (PLDMC) of one pool: an append-only log of atomic records written to
 * two mirror files, compacted into a new generation by a checkpoint of the full state.
 *
 * <p>Invariants: a record is appended to both files (and forced, in fsync mode) before
 * {@link #append} returns, so an acknowledged change survives {@code kill -9} (and power loss in
 * fsync mode); the previous generation is deleted only after the new one's checkpoint is
 * complete and forced; on open, each record is taken from whichever copy has it valid, the log
 * ends at the first record valid in neither copy (a torn tail), and a copy found damaged is
 * rewritten by an immediate checkpoint. A record damaged in both copies with a valid record after
 * it is damage, not a torn tail, when that record had been forced: open then fails with
 * CORRUPT_METADATA rather than drop acknowledged records. The records say whether it had, not the
 * mode that opens the log (an operator may switch fsync between runs): in fsync mode each record
 * is a SYNC_TXN, appended only once every record before it is durable (each append forces, and
 * open forces what it found); in fsync-off mode a FORCED record follows each {@link #force}. A
 * damaged record with neither after it was never forced — a power cut tore and reordered the
 * unforced tail — and the log ends before it. Not thread-safe: the caller serialises (mapping's
 * metadata lock).
 */
public final class PldmcLog implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(PldmcLog.class.getName());
    private static final Pattern NAME = Pattern.compile("pldmc-(\\d+)\\.([ab])");
    private static final int CHECKPOINT_OPS_PER_RECORD = 65536;

    private final Path dir;
    private final boolean fsync;
    private final long minCompactBytes;
    private io.evasan.raid.io.ChannelOpener files = io.evasan.raid.io.ChannelOpener.DEFAULT;
    private FileChannel a;
    private FileChannel b;
    private long generation;
    private long endPos;
    private long nextSeq;
    private long checkpointEnd;
    private boolean repairNeeded;
    private boolean created;
    private long appendedBytes;
    private long checkpoints;
    /** The end of the log at the last FORCED record (fsync-off mode): no new one until more is appended. */
    private long forcedMarkEnd;
    private final Txn forcedMark = new Txn();

    private PldmcLog(Path dir, boolean fsync, long minCompactBytes) {
        this.dir = dir;
        this.fsync = fsync;
        this.minCompactBytes = minCompactBytes;
    }

    /**
     * Opens (or creates) the log in {@code dir} and replays the newest complete generation into
     * {@code into}. After this, call {@link #repairNeeded()} and checkpoint when true.
     */
    public static PldmcLog open(Path dir, boolean fsync, long minCompactBytes, Txn.OpVisitor into) {
        return open(dir, fsync, minCompactBytes, into, io.evasan.raid.io.ChannelOpener.DEFAULT);
    }

    /** As {@link #open(Path, boolean, long, Txn.OpVisitor)}, the log files opened through {@code files} (test seam). */
    public static PldmcLog open(Path dir, boolean fsync, long minCompactBytes, Txn.OpVisitor into,
                                io.evasan.raid.io.ChannelOpener files) {
        PldmcLog log = new PldmcLog(dir, fsync, minCompactBytes);
        log.files = files;
        try {
            Files.createDirectories(dir);
            log.load(into);
        } catch (IOException e) {
            throw new StorageException(ErrorCode.IO_ERROR, "cannot open PLDMC log in " + dir + ": " + e, e);
        }
        return log;
    }

    private void load(Txn.OpVisitor into) throws IOException {
        TreeMap<Long, Path[]> gens = new TreeMap<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "pldmc-*")) {
            for (Path p : ds) {
                Matcher m = NAME.matcher(p.getFileName().toString());
                if (m.matches()) {
                    Path[] pair = gens.computeIfAbsent(Long.parseLong(m.group(1)), k -> new Path[2]);
                    pair[m.group(2).equals("a") ? 0 : 1] = p;
                }
            }
        }
        for (Long gen : gens.descendingKeySet()) {
            Path[] pair = gens.get(gen);
            ByteBuffer fa = read(pair[0]);
            ByteBuffer fb = read(pair[1]);
            boolean ha = fa != null && headerGeneration(fa) == gen;
            boolean hb = fb != null && headerGeneration(fb) == gen;
            if (!ha && !hb) {
                LOG.warning("PLDMC generation " + gen + ": no valid header in either copy, skipped");
                continue;
            }
            // scan: find the complete checkpoint and the valid end
            List<int[]> records = new ArrayList<>(); // {pos, len, copy(0 a / 1 b)}
            boolean damaged = !ha || !hb;
            int pos = FILE_HEADER_LENGTH;
            long seq = 1;
            int ckptEnd = -1;
            while (true) {
                int la = ha ? validRecordLength(fa, pos, seq) : -1;
                int lb = hb ? validRecordLength(fb, pos, seq) : -1;
                int len;
                int copy;
                if (la > 0) {
                    len = la;
                    copy = 0;
                    if (hb && lb != la) {
                        damaged = true;
                    }
                } else if (lb > 0) {
                    len = lb;
                    copy = 1;
                    if (ha) {
                        damaged = true;
                    }
                } else {
                    break;
                }
                ByteBuffer f = copy == 0 ? fa : fb;
                records.add(new int[] {pos, len, copy});
                if (f.getInt(pos + REC_TYPE_OFFSET) == TYPE_CKPT_END && ckptEnd < 0) {
                    ckptEnd = pos + len;
                }
                pos += len;
                seq++;
            }
            if (ckptEnd < 0) {
                LOG.warning("PLDMC generation " + gen + ": checkpoint incomplete, falling back to an older one");
                continue;
            }
            // a crash (kill -9) tears at most the last record; a power cut tears and reorders only what was not
            // forced. A broken record followed by valid ones is damage, not a torn tail, when it had been forced:
            // when a FORCED or SYNC_TXN record follows it (whichever mode wrote the log, whichever opens it)
            for (ByteBuffer f : new ByteBuffer[] {ha ? fa : null, hb ? fb : null}) {
                if (f != null && pos + REC_MIN_LENGTH <= f.limit()) {
                    int len = f.getInt(pos + REC_LENGTH_OFFSET);
                    if (len >= REC_MIN_LENGTH && len <= REC_MAX_LENGTH && pos + (long) len < f.limit()
                            && validRecordLength(f, pos + len, seq + 1) > 0) {
                        if (forcedRecordFollows(f, pos + len, seq + 1)) {
                            throw new StorageException(ErrorCode.CORRUPT_METADATA, "PLDMC generation " + gen
                                    + ": record " + seq + " at offset " + pos
                                    + " is damaged in both copies and later records follow");
                        }
                        LOG.warning("PLDMC generation " + gen + ": record " + seq + " at offset " + pos + " is torn in "
                                + "both copies and no force covered it (a power cut before the next flush point): "
                                + "the log ends there, the unforced records after it are dropped");
                        break;
                    }
                }
            }
            for (int[] r : records) {
                Txn.replay(r[2] == 0 ? fa : fb, r[0], into);
            }
            // the chosen generation: open for append at the valid end
            this.generation = gen;
            this.endPos = pos;
            this.forcedMarkEnd = pos;
            this.nextSeq = seq;
            this.checkpointEnd = ckptEnd;
            this.repairNeeded = damaged;
            if (damaged) {
                LOG.warning("PLDMC generation " + gen + ": a copy is damaged or missing; good records taken from the mirror, rewriting");
            }
            this.a = files.open(dir.resolve(fileName(gen, 'a')), StandardOpenOption.CREATE,
                    StandardOpenOption.READ, StandardOpenOption.WRITE);
            this.b = files.open(dir.resolve(fileName(gen, 'b')), StandardOpenOption.CREATE,
                    StandardOpenOption.READ, StandardOpenOption.WRITE);
            if (a.size() > endPos) {
                a.truncate(endPos);
            }
            if (b.size() > endPos) {
                b.truncate(endPos);
            }
            if (fsync) {
                // what an fsync-off run left unforced becomes durable before the first SYNC_TXN vouches for it
                a.force(false);
                b.force(false);
            }
            for (Long other : gens.keySet()) {
                if (!other.equals(gen)) {
                    deleteGeneration(other);
                }
            }
            return;
        }
        if (!gens.isEmpty()) {
            throw new StorageException(ErrorCode.CORRUPT_METADATA,
                    "PLDMC log in " + dir + " has no generation with a complete checkpoint in either copy");
        }
        // fresh: generation 1 with an empty checkpoint
        this.generation = 0;
        this.created = true;
        writeGeneration(1, sink -> { });
    }

    /**
     * Whether a FORCED or SYNC_TXN record (proof that the records before it were forced) is among the
     * valid records from {@code pos} on (numbered from {@code seq}).
     */
    private static boolean forcedRecordFollows(ByteBuffer f, int pos, long seq) {
        for (int len; (len = validRecordLength(f, pos, seq)) > 0; pos += len, seq++) {
            if (provesEarlierForced(f.getInt(pos + REC_TYPE_OFFSET))) {
                return true;
            }
        }
        return false;
    }

    private static ByteBuffer read(Path p) throws IOException {
        if (p == null) {
            return null;
        }
        try {
            return ByteBuffer.wrap(Files.readAllBytes(p)).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    public boolean repairNeeded() {
        return repairNeeded;
    }

    /** True when {@link #open} found no log in its directory and started an empty one. */
    public boolean created() {
        return created;
    }

    public long generation() {
        return generation;
    }

    /** Bytes of log appended after the current checkpoint. */
    public long bytesSinceCheckpoint() {
        return endPos - checkpointEnd;
    }

    /** Bytes of the current generation (one copy). */
    public long sizeBytes() {
        return endPos;
    }

    public long appendedBytes() {
        return appendedBytes;
    }

    public long checkpoints() {
        return checkpoints;
    }

    /** True when the tail has outgrown the checkpoint enough to be worth compacting. */
    public boolean compactionDue() {
        return bytesSinceCheckpoint() > Math.max(minCompactBytes, 2 * checkpointEnd);
    }

    /**
     * Appends one record to both copies (in fsync mode a SYNC_TXN, forced); durable on return in
     * fsync mode. Nothing is advanced on failure.
     */
    public void append(Txn txn) {
        if (fsync) {
            txn.sync();
        }
        ByteBuffer rec = txn.seal(nextSeq);
        int len = rec.remaining();
        try {
            writeFully(a, rec.duplicate(), endPos);
            writeFully(b, rec.duplicate(), endPos);
            if (fsync) {
                a.force(false);
                b.force(false);
            }
        } catch (IOException e) {
            throw new StorageException(ErrorCode.IO_ERROR, "PLDMC log append failed: " + e, e);
        }
        endPos += len;
        nextSeq++;
        appendedBytes += len;
    }

    /**
     * Forces every record appended so far to stable storage on both copies: the group commit that
     * makes fsync-off mode power-safe at the points the host asks for it (FUA, SYNCHRONIZE CACHE).
     * Callers hold the same lock as for {@link #append}.
     */
    public void force() {
        try {
            a.force(false);
            b.force(false);
            if (!fsync && endPos > forcedMarkEnd) {
                // after the force returned: a FORCED record proves at open that everything before it was durable
                forcedMark.reset();
                ByteBuffer rec = forcedMark.forced().seal(nextSeq);
                int len = rec.remaining();
                writeFully(a, rec.duplicate(), endPos);
                writeFully(b, rec.duplicate(), endPos);
                endPos += len;
                nextSeq++;
                appendedBytes += len;
                forcedMarkEnd = endPos;
            }
        } catch (IOException e) {
            throw new StorageException(ErrorCode.IO_ERROR, "PLDMC log force failed: " + e, e);
        }
    }

    /**
     * Writes a new generation holding the full state that {@code dumper} emits (op calls on the
     * given visitor), then switches to it and deletes the old one.
     */
    public void checkpoint(Consumer<Txn.OpVisitor> dumper) {
        try {
            writeGeneration(generation + 1, dumper);
        } catch (IOException e) {
            throw new StorageException(ErrorCode.IO_ERROR, "PLDMC checkpoint failed: " + e, e);
        }
    }

    private void writeGeneration(long gen, Consumer<Txn.OpVisitor> dumper) throws IOException {
        Path pa = dir.resolve(fileName(gen, 'a'));
        Path pb = dir.resolve(fileName(gen, 'b'));
        FileChannel na = files.open(pa, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.READ, StandardOpenOption.WRITE);
        FileChannel nb = files.open(pb, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.READ, StandardOpenOption.WRITE);
        boolean ok = false;
        try {
            ByteBuffer h = fileHeader(gen);
            writeFully(na, h.duplicate(), 0);
            writeFully(nb, h.duplicate(), 0);
            long[] state = {FILE_HEADER_LENGTH, 1}; // pos, seq
            Txn txn = new Txn();
            Runnable flush = () -> {
                ByteBuffer rec = txn.seal(state[1]);
                try {
                    writeFully(na, rec.duplicate(), state[0]);
                    writeFully(nb, rec.duplicate(), state[0]);
                } catch (IOException e) {
                    throw new StorageException(ErrorCode.IO_ERROR, "PLDMC checkpoint write failed: " + e, e);
                }
                state[0] += rec.remaining();
                state[1]++;
                txn.reset();
            };
            Txn.OpVisitor sink = new Txn.OpVisitor() {
                private void maybeFlush() {
                    if (txn.opCount() >= CHECKPOINT_OPS_PER_RECORD) {
                        flush.run();
                    }
                }

                @Override
                public void set(int disk, int segment, int entry) {
                    txn.set(disk, segment, entry);
                    maybeFlush();
                }

                @Override
                public void rsdAdd(int group, int slot, long rsdId) {
                    txn.rsdAdd(group, slot, rsdId);
                    maybeFlush();
                }

                @Override
                public void rsdFree(int group, int slot) {
                    txn.rsdFree(group, slot);
                    maybeFlush();
                }

                @Override
                public void clone(int src, int dst, int srcBits, int dstBits) {
                    txn.clone(src, dst, srcBits, dstBits);
                    maybeFlush();
                }

                @Override
                public void drop(int disk) {
                    txn.drop(disk);
                    maybeFlush();
                }

                @Override
                public void truncate(int disk, int fromSegment) {
                    txn.truncate(disk, fromSegment);
                    maybeFlush();
                }

                @Override
                public void created(int disk) {
                    txn.created(disk);
                    maybeFlush();
                }
            };
            dumper.accept(sink);
            txn.checkpointEnd();
            flush.run();
            na.force(true);
            nb.force(true);
            forceDir();
            FileChannel oldA = a;
            FileChannel oldB = b;
            long oldGen = generation;
            a = na;
            b = nb;
            generation = gen;
            endPos = state[0];
            forcedMarkEnd = state[0];
            checkpointEnd = state[0];
            nextSeq = state[1];
            repairNeeded = false;
            checkpoints++;
            ok = true;
            if (oldA != null) {
                oldA.close();
                oldB.close();
                deleteGeneration(oldGen);
            }
        } finally {
            if (!ok) {
                na.close();
                nb.close();
                Files.deleteIfExists(pa);
                Files.deleteIfExists(pb);
            }
        }
    }

    private void deleteGeneration(long gen) throws IOException {
        Files.deleteIfExists(dir.resolve(fileName(gen, 'a')));
        Files.deleteIfExists(dir.resolve(fileName(gen, 'b')));
        forceDir();
    }

    private void forceDir() {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException e) {
            // some filesystems do not allow opening a directory; the rename-free scheme stays
            // correct because a generation is used only when its checkpoint is complete
            LOG.fine("directory fsync not supported: " + e);
        }
    }

    private static void writeFully(FileChannel ch, ByteBuffer src, long pos) throws IOException {
        while (src.hasRemaining()) {
            pos += ch.write(src, pos);
        }
    }

    /** Path of copy {@code 'a'} or {@code 'b'} of the current generation (for tests and tools). */
    public Path currentFile(char copy) {
        return dir.resolve(fileName(generation, copy));
    }

    @Override
    public void close() {
        try {
            if (a != null) {
                a.close();
            }
            if (b != null) {
                b.close();
            }
        } catch (IOException e) {
            throw new StorageException(ErrorCode.IO_ERROR, "PLDMC close failed: " + e, e);
        }
    }
}
