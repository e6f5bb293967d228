package io.evasan.mld.impl;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.mld.Mld;
import io.evasan.mld.MldBatch;
import io.evasan.mld.MldBlockDescriptor;
import io.evasan.mld.MldLogDescriptor;
import io.evasan.mld.MldOptions;
import io.evasan.raid.drive.QuorumArea;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * {@link Mld} mirrored on up to {@code maxCopies} quorum areas with two slots each; a slot holds a
 * checkpoint (the whole state, {@link MldBlockDescriptor}) followed by a log of the commits after it
 * ({@link MldLogDescriptor}), the way a file system journal follows its last checkpoint.
 *
 * <p>Invariant: {@code records} is the state of generation {@code generation}: the checkpoint of
 * generation {@code checkpointGen} in slot {@code activeSlot} with the log records up to
 * {@code logEnd} replayed, byte-identical on every area marked in sync, and valid on at least one
 * area. A commit either appends one record at {@code logEnd} of the active slot of every chosen area
 * (when all are in sync and the log stays shorter than its checkpoint, so a commit costs O(1)
 * amortized) or writes a new checkpoint into the other slot of every chosen area; neither touches
 * the bytes of the current generation, so a torn commit falls back to it.
 */
public final class MirroredMld implements Mld {
    private static final Logger LOG = Logger.getLogger(MirroredMld.class.getName());

    private final List<QuorumArea> areas;
    private final MldOptions options;
    private final TreeMap<String, TreeMap<String, byte[]>> records = new TreeMap<>();
    private long generation;
    private int goodCopies;
    private int payloadBytes;
    private boolean closed;
    /** Slot holding the current checkpoint on in-sync areas, -1 before the first checkpoint. */
    private int activeSlot = -1;
    private long checkpointGen;
    /** Block length of the current checkpoint: where its log starts. */
    private long checkpointLength;
    /** Offset in the active slot where the next log record goes. */
    private long logEnd;
    /** Header CRC of the last log record, or of the checkpoint when the log is empty. */
    private int lastCrc;
    /**
     * A checkpoint write failed on every copy: the next commit writes its checkpoint into the same
     * slot again (over whatever of it landed), never a log record of the same generation beside it.
     */
    private boolean retryCheckpoint;
    /** Per area: holds the current generation at the active slot up to logEnd. */
    private final boolean[] inSync;

    private MirroredMld(List<QuorumArea> areas, MldOptions options) {
        this.areas = List.copyOf(areas);
        this.options = options;
        this.inSync = new boolean[this.areas.size()];
    }

    public static MirroredMld open(List<QuorumArea> areas, MldOptions options) {
        if (areas.isEmpty()) {
            throw new StorageException(ErrorCode.INSUFFICIENT_DRIVES, "no quorum area to hold the MLD");
        }
        MirroredMld m = new MirroredMld(areas, options);
        m.load();
        return m;
    }

    private long regionLength(QuorumArea a) {
        long len = options.regionLength() > 0 ? options.regionLength() : a.sizeBytes() - options.regionOffset();
        return Math.min(len, a.sizeBytes() - options.regionOffset());
    }

    private long slotSize(QuorumArea a) {
        return MldBlockDescriptor.slotSize(regionLength(a));
    }

    /** What one slot of one area held at open. */
    private static final class SlotState {
        final int area;
        final int slot;
        ByteBuffer block;       // valid block, or null
        long gen = -1;          // generation of the valid block, or the one a checksum-failed header claims
        String problem;         // null when valid or blank
        boolean blank;
        long sealGen = -1;      // acknowledged generation of a valid seal, -1 when none
        long tip = -1;          // generation after replaying the log behind the valid block
        final List<ByteBuffer> log = new ArrayList<>(); // whole records continuing the block, in order
        long logEnd;            // offset in the slot after the block and its log
        int lastCrc;            // header CRC of the last record, or of the block
        final List<List<MldBatch.Change>> changes = new ArrayList<>(); // decoded records of log
        String logProblem;      // a record claiming to continue the log that fails its checks
        long logProblemGen = -1;
        String sealProblem;     // non-blank seal sector that fails its checks

        SlotState(int area, int slot) {
            this.area = area;
            this.slot = slot;
        }
    }

    private final List<String> report = new ArrayList<>();

    private void load() {
        List<SlotState> states = new ArrayList<>();
        boolean sawData = false;
        for (int i = 0; i < areas.size(); i++) {
            QuorumArea a = areas.get(i);
            if (!a.isAvailable()) {
                continue;
            }
            long slotSize = slotSize(a);
            if (slotSize < MldBlockDescriptor.HEADER_LENGTH + 512) {
                continue;
            }
            for (int s = 0; s < 2; s++) {
                SlotState st = readSlot(i, s, slotSize);
                states.add(st);
                sawData |= !st.blank || st.sealGen >= 0 || st.sealProblem != null;
            }
        }
        SlotState best = null;
        SlotState seal = null;
        for (SlotState st : states) {
            if (st.block != null && (best == null || st.tip > best.tip || (st.tip == best.tip && st.gen > best.gen))) {
                best = st;
            }
            if (st.sealGen >= 0 && (seal == null || st.sealGen > seal.sealGen)) {
                seal = st;
            }
        }
        long bestGen = best == null ? 0 : best.tip;
        if (best == null && !sawData) {
            generation = 0;
            goodCopies = 0;
            payloadBytes = decode(ByteBuffer.allocate(4), records);
            return;
        }
        if (best == null && seal == null && firstCommitTorn(states)) {
            // The very first commit was cut before it was acknowledged (no seal anywhere): every
            // non-blank slot holds a valid header of generation 1 whose payload never fully reached
            // the medium. Nothing was ever committed, so the MLD is empty, as before that commit.
            note("MLD: the first commit (generation 1) was interrupted by a crash on every copy before it was"
                    + " acknowledged (no commit seal, payload checksum fails); opening the empty MLD (generation 0)");
            generation = 0;
            goodCopies = 0;
            payloadBytes = decode(ByteBuffer.allocate(4), records);
            return;
        }
        if (seal != null && seal.sealGen > bestGen) {
            String damage = damageOf(states, seal.sealGen);
            String msg = "MLD generation " + seal.sealGen + " was committed and acknowledged (commit seal on drive "
                    + areas.get(seal.area).driveId() + " slot " + seal.slot + ") but no intact copy of it is left: "
                    + damage + "; the newest intact generation is "
                    + (best == null ? "none" : bestGen + " (drive " + areas.get(best.area).driveId() + " slot "
                    + best.slot + ", committed " + java.time.Instant.ofEpochMilli(MldBlockDescriptor.commitTime(best.block)) + ")")
                    + ". Starting on it would silently lose every change of generation"
                    + (seal.sealGen == bestGen + 1 ? " " + seal.sealGen : "s " + (bestGen + 1) + ".." + seal.sealGen) + ".";
            if (best == null) {
                throw new StorageException(ErrorCode.CORRUPT_METADATA, msg + " No generation is left to fall back to;"
                        + " restore the data directory from a backup (quorum-mld/README.md, Recovery).");
            }
            if (options.acceptRollbackTo() != bestGen) {
                String given = options.acceptRollbackTo() == MldOptions.NO_ROLLBACK ? ""
                        : " (--mld-accept-rollback " + options.acceptRollbackTo() + " was given, but the generation"
                        + " that can be opened is " + bestGen + ")";
                throw new StorageException(ErrorCode.CORRUPT_METADATA, msg + " Refusing to start" + given
                        + ". Recovery: stop here and restore the data directory from a backup, or accept the loss"
                        + " explicitly by starting once with --mld-accept-rollback " + bestGen
                        + " (quorum-mld/README.md, Recovery).");
            }
            note("MLD rollback ACCEPTED by the operator (--mld-accept-rollback " + bestGen + "): " + msg
                    + " Opening on generation " + bestGen + ".");
            rolledBackFrom = seal.sealGen;
        } else if (options.acceptRollbackTo() != MldOptions.NO_ROLLBACK) {
            LOG.warning("MLD: --mld-accept-rollback " + options.acceptRollbackTo() + " ignored: no acknowledged"
                    + " generation is lost (opening generation " + bestGen + "); remove the option");
        }
        if (best == null) {
            throw new StorageException(ErrorCode.CORRUPT_METADATA, "no valid MLD copy on any of " + areas.size()
                    + " quorum areas: " + damageOf(states, -1) + "; restore the data directory from a backup"
                    + " (quorum-mld/README.md, Recovery)");
        }
        for (SlotState st : states) {
            if (st.block == null && st.gen > bestGen) {
                LOG.warning("MLD: drive " + areas.get(st.area).driveId() + " slot " + st.slot + " holds generation "
                        + st.gen + " with a failed payload checksum and no commit seal: a commit interrupted by a"
                        + " crash, never acknowledged; opening generation " + bestGen);
            }
        }
        generation = bestGen;
        int len = MldBlockDescriptor.payloadLength(best.block);
        ByteBuffer payload = best.block.duplicate();
        payload.position(MldBlockDescriptor.PAYLOAD_OFFSET).limit(MldBlockDescriptor.PAYLOAD_OFFSET + len);
        payloadBytes = decode(payload.slice(), records);
        for (List<MldBatch.Change> changes : best.changes) {
            payloadBytes += apply(changes, records);
        }
        activeSlot = best.slot;
        checkpointGen = best.gen;
        checkpointLength = best.block.limit();
        logEnd = best.logEnd;
        lastCrc = best.lastCrc;
        repair(states, best);
    }

    private long rolledBackFrom = -1;

    /**
     * True when no slot is sealed or has a damaged seal, and every slot is blank or holds a valid
     * header of generation 1 with a failed payload checksum (what a power cut during the first
     * commit leaves: sectors reach the medium whole, the header sector first or not at all).
     */
    private static boolean firstCommitTorn(List<SlotState> states) {
        boolean any = false;
        for (SlotState st : states) {
            if (st.sealGen >= 0 || st.sealProblem != null) {
                return false;
            }
            if (st.blank) {
                continue;
            }
            if (st.block != null || st.gen != 1 || st.problem == null || !st.problem.startsWith("payload checksum failed")) {
                return false;
            }
            any = true;
        }
        return any;
    }

    private void note(String line) {
        LOG.warning(line);
        report.add(line);
    }

    /** Human-readable list of the damaged slots that claim (or may hold) generation {@code gen}; -1 = all damaged. */
    private String damageOf(List<SlotState> states, long gen) {
        StringBuilder sb = new StringBuilder();
        for (SlotState st : states) {
            boolean mayHold = st.problem != null && (gen < 0 || st.gen == gen
                    || (st.gen < 0 && MldBlockDescriptor.slotOf(gen) == st.slot));
            if (mayHold) {
                sb.append(sb.length() == 0 ? "" : "; ").append("drive ").append(areas.get(st.area).driveId())
                        .append(" slot ").append(st.slot).append(": ").append(st.problem);
            }
            if (st.logProblem != null && (gen < 0 || st.logProblemGen <= gen)) {
                sb.append(sb.length() == 0 ? "" : "; ").append("drive ").append(areas.get(st.area).driveId())
                        .append(" slot ").append(st.slot).append(": ").append(st.logProblem);
            }
        }
        return sb.length() == 0 ? "no copy of it was found (slots overwritten or on drives now missing)" : sb.toString();
    }

    /** Reads and classifies one slot and its seal sector. */
    private SlotState readSlot(int areaIndex, int slot, long slotSize) {
        QuorumArea a = areas.get(areaIndex);
        SlotState st = new SlotState(areaIndex, slot);
        long base = options.regionOffset() + MldBlockDescriptor.slotOffset(regionLength(a), slot);
        try {
            ByteBuffer sealSector = ByteBuffer.allocate(MldBlockDescriptor.SEAL_LENGTH);
            a.read(options.regionOffset() + MldBlockDescriptor.sealOffset(regionLength(a), slot), sealSector);
            sealSector.flip();
            if (MldBlockDescriptor.sealValid(sealSector)) {
                st.sealGen = MldBlockDescriptor.sealGeneration(sealSector);
            } else if (!MldBlockDescriptor.sealBlank(sealSector)) {
                st.sealProblem = "seal sector fails its checks";
            }
        } catch (StorageException e) {
            st.sealProblem = "seal unreadable: " + e.getMessage();
        }
        try {
            ByteBuffer head = ByteBuffer.allocate(512);
            a.read(base, head);
            head.flip();
            if (MldBlockDescriptor.blank(head)) {
                st.blank = true;
                return st;
            }
            if (!MldBlockDescriptor.headerValid(head, slotSize)) {
                st.problem = MldBlockDescriptor.hasMagic(head) ? "header checksum failed" : "header magic destroyed";
                LOG.warning("MLD copy on drive " + a.driveId() + " slot " + slot + ": " + st.problem);
                return st;
            }
            st.gen = MldBlockDescriptor.generation(head);
            int blockLen = MldBlockDescriptor.blockLength(MldBlockDescriptor.payloadLength(head));
            ByteBuffer block = ByteBuffer.allocate(blockLen);
            a.read(base, block);
            block.flip();
            if (!MldBlockDescriptor.payloadValid(block)) {
                st.problem = "payload checksum failed (header says generation " + st.gen + ")";
                LOG.warning("MLD copy on drive " + a.driveId() + " slot " + slot + ": " + st.problem);
                return st;
            }
            st.block = block;
            readLog(a, base, slotSize, st);
        } catch (StorageException e) {
            st.problem = "unreadable: " + e.getMessage();
            LOG.warning("MLD copy unreadable on drive " + a.driveId() + " slot " + slot + ": " + e);
        }
        return st;
    }

    /** Areas a commit writes to: the first {@code maxCopies} available ones with room for a slot. */
    private List<Integer> targetIndexes() {
        List<Integer> t = new ArrayList<>();
        for (int i = 0; i < areas.size() && t.size() < options.maxCopies(); i++) {
            QuorumArea a = areas.get(i);
            if (a.isAvailable() && slotSize(a) >= MldBlockDescriptor.HEADER_LENGTH + 512) {
                t.add(i);
            }
        }
        return t;
    }

    /**
     * Rewrites, on every target area, the current generation (and the previous one, the fallback
     * of a torn next commit) where it is damaged, stale or missing, from a good copy; writes the
     * commit seal where it is missing; after an accepted rollback lowers the seals that name lost
     * generations. Failures are logged and leave the open usable (the next commit retries).
     */
    private void repair(List<SlotState> states, SlotState best) {
        long gen = best.tip;
        SlotState prev = null;
        for (SlotState st : states) {
            if (best.log.isEmpty() && st.block != null && st.tip == gen - 1 && st.slot != best.slot) {
                prev = st;
            }
        }
        int good = 0;
        for (int i : targetIndexes()) {
            QuorumArea a = areas.get(i);
            SlotState cur = find(states, i, best.slot);
            boolean ok = cur != null && cur.block != null && cur.gen == best.gen && cur.tip == gen
                    && cur.lastCrc == best.lastCrc;
            if (!ok) {
                ok = rewrite(i, cur, best, "current");
            }
            if (ok) {
                good++;
                inSync[i] = true;
                long maxBlock = MldBlockDescriptor.maxBlockLength(slotSize(a));
                if (best.block.limit() > maxBlock) {
                    LOG.warning("MLD: generation " + gen + " on drive " + a.driveId() + " fills its whole slot"
                            + " (written before commit seals existed); no seal written until the next commit");
                } else if (cur == null || cur.sealGen != gen) {
                    writeSeal(a, best.slot, gen, cur == null || cur.sealProblem == null ? null
                            : cur.sealProblem);
                }
            }
            if (prev != null) {
                SlotState old = find(states, i, prev.slot);
                if (old == null || old.block == null || old.tip != gen - 1) {
                    rewrite(i, old, prev, "previous");
                }
            }
        }
        if (rolledBackFrom >= 0) {
            for (SlotState st : states) {
                if (st.sealGen > gen && areas.get(st.area).isAvailable()) {
                    writeSeal(areas.get(st.area), st.slot, gen, null);
                    note("MLD: commit seal of lost generation " + st.sealGen + " on drive "
                            + areas.get(st.area).driveId() + " slot " + st.slot + " lowered to " + gen);
                }
            }
        }
        goodCopies = good;
    }

    private static SlotState find(List<SlotState> states, int area, int slot) {
        for (SlotState st : states) {
            if (st.area == area && st.slot == slot) {
                return st;
            }
        }
        return null;
    }

    private boolean rewrite(int areaIndex, SlotState was, SlotState from, String which) {
        QuorumArea a = areas.get(areaIndex);
        int slot = from.slot;
        String what = was == null ? "absent" : was.problem != null ? was.problem
                : was.blank ? "blank" : was.logProblem != null ? was.logProblem
                : "stale (generation " + was.tip + ")";
        try {
            ByteBuffer b = ByteBuffer.allocate((int) from.logEnd);
            b.put(from.block.duplicate().clear());
            for (ByteBuffer rec : from.log) {
                b.put(rec.duplicate().clear());
            }
            b.flip();
            a.write(options.regionOffset() + MldBlockDescriptor.slotOffset(regionLength(a), slot), b);
            a.force();
            if (was != null && (was.problem != null || was.gen >= 0)) {
                note("MLD: " + which + " generation " + from.tip + " on drive " + a.driveId() + " slot " + slot
                        + " was " + what + "; rewritten from drive " + areas.get(from.area).driveId() + " slot " + from.slot);
            } else {
                LOG.info("MLD: " + which + " generation " + from.tip + " copied to drive " + a.driveId() + " slot " + slot);
            }
            return true;
        } catch (StorageException e) {
            LOG.warning("MLD: could not rewrite generation " + from.tip + " on drive " + a.driveId() + " slot " + slot
                    + " (" + what + "): " + e);
            return false;
        }
    }

    private void writeSeal(QuorumArea a, int slot, long gen, String problem) {
        try {
            a.write(options.regionOffset() + MldBlockDescriptor.sealOffset(regionLength(a), slot),
                    MldBlockDescriptor.seal(gen, System.currentTimeMillis()));
            a.force();
            if (problem != null) {
                note("MLD: commit seal on drive " + a.driveId() + " slot " + slot + " was damaged (" + problem
                        + "); rewritten for generation " + gen);
            }
        } catch (StorageException e) {
            LOG.warning("MLD: could not write the commit seal of generation " + gen + " on drive " + a.driveId()
                    + " slot " + slot + ": " + e);
        }
    }

    @Override
    public synchronized List<String> openReport() {
        return List.copyOf(report);
    }

    @Override
    public synchronized long generation() {
        return generation;
    }

    @Override
    public synchronized Optional<byte[]> get(String kind, String key) {
        Map<String, byte[]> m = records.get(kind);
        byte[] v = m == null ? null : m.get(key);
        return v == null ? Optional.empty() : Optional.of(v.clone());
    }

    @Override
    public synchronized List<String> keys(String kind) {
        Map<String, byte[]> m = records.get(kind);
        return m == null ? List.of() : List.copyOf(m.keySet());
    }

    @Override
    public synchronized int goodCopies() {
        return goodCopies;
    }

    @Override
    public synchronized int payloadBytes() {
        return payloadBytes;
    }

    @Override
    public synchronized void commit(MldBatch batch) {
        if (closed) {
            throw new IllegalStateException("MLD closed");
        }
        List<Integer> targets = targetIndexes();
        if (targets.isEmpty()) {
            throw new StorageException(ErrorCode.WRITE_FAULT, "no available quorum area for the MLD");
        }
        long nextBytes = sizeAfter(batch);
        int checkpointLen = MldBlockDescriptor.blockLength((int) Math.min(Integer.MAX_VALUE - 1024, nextBytes));
        long room = Long.MAX_VALUE;
        for (int i : targets) {
            QuorumArea a = areas.get(i);
            room = Math.min(room, MldBlockDescriptor.maxBlockLength(slotSize(a)));
            if (checkpointLen > MldBlockDescriptor.maxBlockLength(slotSize(a))) {
                throw new StorageException(ErrorCode.SPACE_ALLOCATION_FAILED, "MLD of " + nextBytes
                        + " bytes does not fit the quorum slot of " + slotSize(a) + " bytes (less its seal sector)");
            }
        }
        long gen = generation + 1;
        long now = System.currentTimeMillis();
        ByteBuffer rec = MldLogDescriptor.encode(gen, checkpointGen, lastCrc, now, batch.changes());
        boolean append = activeSlot >= 0 && !retryCheckpoint && logEnd + rec.limit() <= room
                && (logEnd - checkpointLength) + rec.limit() < checkpointLength;
        for (int i : targets) {
            append &= inSync[i];
        }
        if (append) {
            int ok = writeEverywhere(targets, activeSlot, logEnd, rec, gen, now);
            payloadBytes += apply(batch.changes(), records);
            logEnd += rec.limit();
            lastCrc = MldLogDescriptor.headerCrc(rec);
            generation = gen;
            goodCopies = ok;
            return;
        }
        TreeMap<String, TreeMap<String, byte[]>> next = new TreeMap<>();
        for (Map.Entry<String, TreeMap<String, byte[]>> e : records.entrySet()) {
            next.put(e.getKey(), new TreeMap<>(e.getValue()));
        }
        apply(batch.changes(), next);
        byte[] payload = encode(next);
        ByteBuffer block = ByteBuffer.allocate(MldBlockDescriptor.blockLength(payload.length)).order(ByteOrder.LITTLE_ENDIAN);
        block.position(MldBlockDescriptor.PAYLOAD_OFFSET);
        block.put(payload);
        block.clear();
        MldBlockDescriptor.writeHeader(block, gen, payload.length, now, targets.size());
        int slot = activeSlot < 0 ? MldBlockDescriptor.slotOf(gen) : 1 - activeSlot;
        int ok;
        try {
            ok = writeEverywhere(targets, slot, 0, block, gen, now);
        } catch (StorageException e) {
            retryCheckpoint = true;
            throw e;
        }
        retryCheckpoint = false;
        records.clear();
        records.putAll(next);
        activeSlot = slot;
        checkpointGen = gen;
        checkpointLength = block.limit();
        logEnd = block.limit();
        lastCrc = MldBlockDescriptor.headerCrc(block);
        generation = gen;
        goodCopies = ok;
        payloadBytes = payload.length;
    }

    /**
     * Writes {@code bytes} (a checkpoint block or a log record of generation {@code gen}) at
     * {@code offset} of slot {@code slot} on every target, forces them, then seals {@code gen} in that
     * slot and forces again. Marks in sync exactly the targets where the bytes are durable.
     *
     * @return how many targets hold the bytes durably
     * @throws StorageException {@code WRITE_FAULT} when none does (sync marks unchanged)
     */
    private int writeEverywhere(List<Integer> targets, int slot, long offset, ByteBuffer bytes, long gen, long now) {
        int ok = 0;
        StorageException last = null;
        boolean[] durable = new boolean[areas.size()];
        boolean[] written = new boolean[areas.size()];
        for (int i : targets) {
            QuorumArea a = areas.get(i);
            try {
                a.write(options.regionOffset() + MldBlockDescriptor.slotOffset(regionLength(a), slot) + offset,
                        bytes.duplicate());
                written[i] = true;
            } catch (StorageException e) {
                last = e;
                LOG.warning("MLD copy write failed on drive " + a.driveId() + ": " + e);
            }
        }
        for (int i : targets) {
            if (!written[i]) {
                continue;
            }
            try {
                areas.get(i).force();
                durable[i] = true;
                ok++;
            } catch (StorageException e) {
                last = e;
                LOG.warning("MLD copy force failed on drive " + areas.get(i).driveId() + ": " + e);
            }
        }
        if (ok == 0) {
            throw new StorageException(ErrorCode.WRITE_FAULT, "MLD commit failed on every quorum area", last);
        }
        // Durable on `ok` copies: seal it (the slot's last sector) so that a later open can tell this
        // acknowledged generation from a torn, never-acknowledged one.
        boolean[] sealed = new boolean[areas.size()];
        for (int i : targets) {
            if (!written[i]) {
                continue;
            }
            QuorumArea a = areas.get(i);
            try {
                a.write(options.regionOffset() + MldBlockDescriptor.sealOffset(regionLength(a), slot),
                        MldBlockDescriptor.seal(gen, now));
                sealed[i] = true;
            } catch (StorageException e) {
                LOG.warning("MLD commit seal write failed on drive " + a.driveId() + ": " + e);
            }
        }
        for (int i : targets) {
            if (sealed[i]) {
                try {
                    areas.get(i).force();
                } catch (StorageException e) {
                    LOG.warning("MLD commit seal force failed on drive " + areas.get(i).driveId() + ": " + e);
                }
            }
        }
        System.arraycopy(durable, 0, inSync, 0, inSync.length);
        return ok;
    }

    /** Encoded state size after {@code batch}, without applying it. */
    private long sizeAfter(MldBatch batch) {
        long size = payloadBytes;
        for (MldBatch.Change c : batch.changes()) {
            Map<String, byte[]> m = records.get(c.kind());
            byte[] old = m == null ? null : m.get(c.key());
            size += (c.value() == null ? 0 : recordBytes(c.kind(), c.key(), c.value()))
                    - (old == null ? 0 : recordBytes(c.kind(), c.key(), old));
        }
        return size;
    }

    /** Applies {@code changes} to {@code recs}; returns how the encoded size changed. */
    static int apply(Iterable<MldBatch.Change> changes, TreeMap<String, TreeMap<String, byte[]>> recs) {
        int delta = 0;
        for (MldBatch.Change c : changes) {
            TreeMap<String, byte[]> m = recs.get(c.kind());
            byte[] old;
            if (c.value() == null) {
                old = m == null ? null : m.remove(c.key());
                if (m != null && m.isEmpty()) {
                    recs.remove(c.kind());
                }
            } else {
                if (m == null) {
                    m = new TreeMap<>();
                    recs.put(c.kind(), m);
                }
                old = m.put(c.key(), c.value());
                delta += recordBytes(c.kind(), c.key(), c.value());
            }
            if (old != null) {
                delta -= recordBytes(c.kind(), c.key(), old);
            }
        }
        return delta;
    }

    /** Bytes one record takes in a checkpoint payload. */
    private static int recordBytes(String kind, String key, byte[] value) {
        return 2 + kind.getBytes(StandardCharsets.UTF_8).length + 2 + key.getBytes(StandardCharsets.UTF_8).length
                + 4 + value.length;
    }

    /**
     * Replays the log behind the valid block of {@code st}: keeps the records that continue its
     * chain and stops at the first that does not (the end of the log, or a torn tail).
     */
    private static void readLog(QuorumArea a, long base, long slotSize, SlotState st) {
        long limit = MldBlockDescriptor.maxBlockLength(slotSize);
        long pos = st.block.limit();
        long gen = st.gen;
        int prev = MldBlockDescriptor.headerCrc(st.block);
        st.tip = gen;
        st.logEnd = pos;
        st.lastCrc = prev;
        try {
            while (pos + MldLogDescriptor.HEADER_LENGTH <= limit) {
                ByteBuffer head = ByteBuffer.allocate(512);
                a.read(base + pos, head);
                head.flip();
                String why = MldLogDescriptor.continues(head, gen + 1, st.gen, prev);
                if (why != null) {
                    if (!"end".equals(why)) {
                        logProblem(st, gen + 1, why + " at byte " + pos + " of the slot");
                    }
                    return;
                }
                int len = MldLogDescriptor.recordLength(head);
                if (pos + len > limit) {
                    logProblem(st, gen + 1, "log record runs past the end of the log area");
                    return;
                }
                ByteBuffer rec = head;
                if (len > head.limit()) {
                    rec = ByteBuffer.allocate(len);
                    a.read(base + pos, rec);
                    rec.flip();
                }
                if (!MldLogDescriptor.payloadValid(rec)) {
                    logProblem(st, gen + 1, "log record payload checksum failed");
                    return;
                }
                try {
                    st.changes.add(MldLogDescriptor.changes(rec));
                } catch (IllegalArgumentException e) {
                    logProblem(st, gen + 1, e.getMessage());
                    return;
                }
                st.log.add(rec);
                gen++;
                pos += len;
                prev = MldLogDescriptor.headerCrc(rec);
                st.tip = gen;
                st.logEnd = pos;
                st.lastCrc = prev;
            }
        } catch (StorageException e) {
            logProblem(st, gen + 1, "log unreadable: " + e.getMessage());
        }
    }

    private static void logProblem(SlotState st, long gen, String what) {
        st.logProblem = what + " (log record of generation " + gen + ")";
        st.logProblemGen = gen;
    }

    @Override
    public synchronized void close() {
        closed = true;
    }

    static byte[] encode(TreeMap<String, TreeMap<String, byte[]>> recs) {
        int count = 0;
        int size = 4;
        List<byte[][]> flat = new ArrayList<>();
        for (Map.Entry<String, TreeMap<String, byte[]>> k : recs.entrySet()) {
            byte[] kind = k.getKey().getBytes(StandardCharsets.UTF_8);
            for (Map.Entry<String, byte[]> r : k.getValue().entrySet()) {
                byte[] key = r.getKey().getBytes(StandardCharsets.UTF_8);
                if (kind.length > 0xFFFF || key.length > 0xFFFF) {
                    throw new IllegalArgumentException("MLD kind/key longer than 65535 bytes");
                }
                flat.add(new byte[][] {kind, key, r.getValue()});
                size += 2 + kind.length + 2 + key.length + 4 + r.getValue().length;
                count++;
            }
        }
        ByteBuffer b = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(count);
        for (byte[][] f : flat) {
            b.putShort((short) f[0].length).put(f[0]);
            b.putShort((short) f[1].length).put(f[1]);
            b.putInt(f[2].length).put(f[2]);
        }
        return b.array();
    }

    static int decode(ByteBuffer payload, TreeMap<String, TreeMap<String, byte[]>> into) {
        into.clear();
        ByteBuffer b = payload.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        int size = b.remaining();
        if (size < 4) {
            return 4;
        }
        int count = b.getInt();
        for (int i = 0; i < count; i++) {
            String kind = str(b, Short.toUnsignedInt(b.getShort()));
            String key = str(b, Short.toUnsignedInt(b.getShort()));
            byte[] v = new byte[b.getInt()];
            b.get(v);
            into.computeIfAbsent(kind, k -> new TreeMap<>()).put(key, v);
        }
        return size;
    }

    private static String str(ByteBuffer b, int len) {
        byte[] s = new byte[len];
        b.get(s);
        return new String(s, StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
        return "MirroredMld[gen=" + generation + ", checkpoint=" + checkpointGen + " in slot " + activeSlot
                + ", log bytes=" + (logEnd - checkpointLength) + ", copies=" + goodCopies + ", areas=" + areas.size()
                + ", kinds=" + Arrays.toString(records.keySet().toArray()) + "]";
    }
}
