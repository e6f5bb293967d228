package io.evasan.mld.impl;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.mld.Mld;
import io.evasan.mld.MldBatch;
import io.evasan.mld.MldBlockDescriptor;
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
 * {@link Mld} mirrored on up to {@code maxCopies} quorum areas with two ping-pong slots each.
 *
 * <p>Invariant: {@code records} is the decoded payload of generation {@code generation}, which
 * is valid on at least one area; the next commit writes generation + 1 into slot
 * {@code (generation + 1) & 1} of every chosen area, never touching the slot holding the
 * current generation.
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

    private MirroredMld(List<QuorumArea> areas, MldOptions options) {
        this.areas = List.copyOf(areas);
        this.options = options;
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
            if (st.block != null && (best == null || st.gen > best.gen)) {
                best = st;
            }
            if (st.sealGen >= 0 && (seal == null || st.sealGen > seal.sealGen)) {
                seal = st;
            }
        }
        long bestGen = best == null ? 0 : best.gen;
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
        long gen = best.gen;
        SlotState prev = null;
        for (SlotState st : states) {
            if (st.block != null && st.gen == gen - 1) {
                prev = st;
            }
        }
        int good = 0;
        for (int i : targetIndexes()) {
            QuorumArea a = areas.get(i);
            SlotState cur = find(states, i, MldBlockDescriptor.slotOf(gen));
            boolean ok = cur != null && cur.block != null && cur.gen == gen;
            if (!ok) {
                ok = rewrite(i, cur, best, "current");
            }
            if (ok) {
                good++;
                long maxBlock = MldBlockDescriptor.maxBlockLength(slotSize(a));
                if (best.block.limit() > maxBlock) {
                    LOG.warning("MLD: generation " + gen + " on drive " + a.driveId() + " fills its whole slot"
                            + " (written before commit seals existed); no seal written until the next commit");
                } else if (cur == null || cur.sealGen != gen) {
                    writeSeal(a, MldBlockDescriptor.slotOf(gen), gen, cur == null || cur.sealProblem == null ? null
                            : cur.sealProblem);
                }
            }
            if (prev != null) {
                SlotState old = find(states, i, MldBlockDescriptor.slotOf(gen - 1));
                if (old == null || old.block == null || old.gen != gen - 1) {
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
        int slot = MldBlockDescriptor.slotOf(from.gen);
        String what = was == null ? "absent" : was.problem != null ? was.problem
                : was.blank ? "blank" : "stale (generation " + was.gen + ")";
        try {
            ByteBuffer b = from.block.duplicate();
            b.clear();
            a.write(options.regionOffset() + MldBlockDescriptor.slotOffset(regionLength(a), slot), b);
            a.force();
            if (was != null && (was.problem != null || was.gen >= 0)) {
                note("MLD: " + which + " generation " + from.gen + " on drive " + a.driveId() + " slot " + slot
                        + " was " + what + "; rewritten from drive " + areas.get(from.area).driveId() + " slot " + from.slot);
            } else {
                LOG.info("MLD: " + which + " generation " + from.gen + " copied to drive " + a.driveId() + " slot " + slot);
            }
            return true;
        } catch (StorageException e) {
            LOG.warning("MLD: could not rewrite generation " + from.gen + " on drive " + a.driveId() + " slot " + slot
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
        TreeMap<String, TreeMap<String, byte[]>> next = new TreeMap<>();
        for (Map.Entry<String, TreeMap<String, byte[]>> e : records.entrySet()) {
            next.put(e.getKey(), new TreeMap<>(e.getValue()));
        }
        for (MldBatch.Change c : batch.changes()) {
            if (c.value() == null) {
                TreeMap<String, byte[]> m = next.get(c.kind());
                if (m != null) {
                    m.remove(c.key());
                    if (m.isEmpty()) {
                        next.remove(c.kind());
                    }
                }
            } else {
                next.computeIfAbsent(c.kind(), k -> new TreeMap<>()).put(c.key(), c.value());
            }
        }
        byte[] payload = encode(next);
        long gen = generation + 1;
        int slot = MldBlockDescriptor.slotOf(gen);
        List<QuorumArea> targets = new ArrayList<>();
        for (QuorumArea a : areas) {
            if (targets.size() == options.maxCopies()) {
                break;
            }
            if (a.isAvailable() && slotSize(a) >= MldBlockDescriptor.HEADER_LENGTH + 512) {
                targets.add(a);
            }
        }
        if (targets.isEmpty()) {
            throw new StorageException(ErrorCode.WRITE_FAULT, "no available quorum area for the MLD");
        }
        int blockLen = MldBlockDescriptor.blockLength(payload.length);
        for (QuorumArea a : targets) {
            if (blockLen > MldBlockDescriptor.maxBlockLength(slotSize(a))) {
                throw new StorageException(ErrorCode.SPACE_ALLOCATION_FAILED, "MLD of " + payload.length
                        + " bytes does not fit the quorum slot of " + slotSize(a) + " bytes (less its seal sector)");
            }
        }
        ByteBuffer block = ByteBuffer.allocate(blockLen).order(ByteOrder.LITTLE_ENDIAN);
        block.position(MldBlockDescriptor.PAYLOAD_OFFSET);
        block.put(payload);
        long now = System.currentTimeMillis();
        MldBlockDescriptor.writeHeader(block, gen, payload.length, now, targets.size());
        int ok = 0;
        StorageException last = null;
        boolean[] written = new boolean[targets.size()];
        for (int i = 0; i < targets.size(); i++) {
            QuorumArea a = targets.get(i);
            try {
                ByteBuffer b = block.duplicate();
                b.clear();
                a.write(options.regionOffset() + MldBlockDescriptor.slotOffset(regionLength(a), slot), b);
                written[i] = true;
            } catch (StorageException e) {
                last = e;
                LOG.warning("MLD copy write failed on drive " + a.driveId() + ": " + e);
            }
        }
        for (int i = 0; i < targets.size(); i++) {
            if (!written[i]) {
                continue;
            }
            try {
                targets.get(i).force();
                ok++;
            } catch (StorageException e) {
                last = e;
                LOG.warning("MLD copy force failed on drive " + targets.get(i).driveId() + ": " + e);
            }
        }
        if (ok == 0) {
            throw new StorageException(ErrorCode.WRITE_FAULT, "MLD commit failed on every quorum area", last);
        }
        // The block is durable on `ok` copies: seal it (slot gen & 1, its last sector) so that a later
        // open can tell this acknowledged generation from a torn, never-acknowledged one.
        boolean[] sealed = new boolean[targets.size()];
        for (int i = 0; i < targets.size(); i++) {
            if (!written[i]) {
                continue;
            }
            QuorumArea a = targets.get(i);
            try {
                a.write(options.regionOffset() + MldBlockDescriptor.sealOffset(regionLength(a), slot),
                        MldBlockDescriptor.seal(gen, now));
                sealed[i] = true;
            } catch (StorageException e) {
                LOG.warning("MLD commit seal write failed on drive " + a.driveId() + ": " + e);
            }
        }
        for (int i = 0; i < targets.size(); i++) {
            if (sealed[i]) {
                try {
                    targets.get(i).force();
                } catch (StorageException e) {
                    LOG.warning("MLD commit seal force failed on drive " + targets.get(i).driveId() + ": " + e);
                }
            }
        }
        records.clear();
        records.putAll(next);
        generation = gen;
        goodCopies = ok;
        payloadBytes = payload.length;
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
        return "MirroredMld[gen=" + generation + ", copies=" + goodCopies + ", areas=" + areas.size()
                + ", kinds=" + Arrays.toString(records.keySet().toArray()) + "]";
    }
}
