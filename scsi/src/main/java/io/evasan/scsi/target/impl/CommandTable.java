package io.evasan.scsi.target.impl;

import io.evasan.scsi.cdb.OpCodes;
import io.evasan.scsi.cdb.ReportTargetPortGroupsDescriptor;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The commands this target implements: opcode, service action, CDB length, CDB usage data
 * (REPORT SUPPORTED OPERATION CODES one-command format, SPC-4 6.35.3) and the access class used
 * for reservation conflicts (SPC-4 5.12.1, table 56) and unit-attention reporting.
 *
 * <p>Invariant: usage data byte 0 equals the opcode and its length equals the CDB length.
 */
final class CommandTable {
    /** Never blocked by UA or reservations (INQUIRY, REPORT LUNS, REQUEST SENSE). */
    static final int ACCESS_ANY = 0;
    /** Allowed under any persistent reservation (TUR, READ CAPACITY, RSOC, PR IN). */
    static final int ACCESS_INFO = 1;
    /** Reads the medium: conflicts under Exclusive Access types. */
    static final int ACCESS_READ = 2;
    /** Changes the medium or LU state: conflicts under Write Exclusive and Exclusive Access. */
    static final int ACCESS_WRITE = 3;
    /** PERSISTENT RESERVE OUT / RESERVE(6) / RELEASE(6): checked by their own rules. */
    static final int ACCESS_RESERVATION = 4;

    static final int NO_SA = -1;

    static final class Command {
        final int opcode;
        final int serviceAction;
        final String name;
        final int access;
        final byte[] usage;
        /**
         * True when the usage data is exactly the command's non-reserved bits in SPC-4 / SBC-3 (every
         * other bit of bytes 1..n-2 is reserved): the executor rejects a CDB with such a bit set.
         */
        boolean strictReserved;
        /** Implemented only by a target with asymmetric logical unit access (REPORT TARGET PORT GROUPS). */
        boolean aluaOnly;
        /** Implemented only when that access is explicit too (SET TARGET PORT GROUPS). */
        boolean explicitOnly;

        Command(int opcode, int serviceAction, String name, int access, int... usage) {
            this.opcode = opcode;
            this.serviceAction = serviceAction;
            this.name = name;
            this.access = access;
            this.usage = new byte[usage.length];
            for (int i = 0; i < usage.length; i++) {
                this.usage[i] = (byte) usage[i];
            }
            if ((this.usage[0] & 0xFF) != opcode) {
                throw new IllegalStateException(name);
            }
        }

        int cdbLength() {
            return usage.length;
        }
    }

    /**
     * Opcodes whose usage data marks exactly the fields SPC-4 / SBC-3 define (the rest is reserved):
     * TEST UNIT READY (bytes 1-4 reserved), REQUEST SENSE, START STOP UNIT, PREVENT ALLOW MEDIUM
     * REMOVAL, READ CAPACITY(10), SYNCHRONIZE CACHE(10/16), REPORT LUNS, and (as {@code opcode << 8 |
     * service action}) REPORT TARGET PORT GROUPS. Commands with obsolete or
     * optional bits this target ignores rather than rejects (READ/WRITE RARC, INQUIRY CMDDT, ...)
     * are not listed: a host may set those.
     */
    private static final java.util.Set<Integer> STRICT_RESERVED = java.util.Set.of(
            0x00, 0x03, 0x1B, 0x1E, 0x25, 0x35, 0x91, 0xA0, 0xA30A, 0xA40A);

    /** CONTROL byte bits that must be zero: reserved (5:3), obsolete FLAG (1), LINK (0; no linked commands). */
    static final int CONTROL_MUST_BE_ZERO = 0x3B;

    static final List<Command> COMMANDS;
    private static final Command[] BY_OPCODE = new Command[256];

    static {
        List<Command> c = new ArrayList<>();
        c.add(new Command(0x00, NO_SA, "TEST UNIT READY", ACCESS_INFO, 0x00, 0, 0, 0, 0, 0));
        c.add(new Command(0x03, NO_SA, "REQUEST SENSE", ACCESS_ANY, 0x03, 0x01, 0, 0, 0xFF, 0));
        c.add(new Command(0x08, NO_SA, "READ(6)", ACCESS_READ, 0x08, 0x1F, 0xFF, 0xFF, 0xFF, 0));
        c.add(new Command(0x0A, NO_SA, "WRITE(6)", ACCESS_WRITE, 0x0A, 0x1F, 0xFF, 0xFF, 0xFF, 0));
        c.add(new Command(0x12, NO_SA, "INQUIRY", ACCESS_ANY, 0x12, 0x01, 0xFF, 0xFF, 0xFF, 0));
        c.add(new Command(0x15, NO_SA, "MODE SELECT(6)", ACCESS_WRITE, 0x15, 0x11, 0, 0, 0xFF, 0));
        c.add(new Command(0x16, NO_SA, "RESERVE(6)", ACCESS_RESERVATION, 0x16, 0, 0, 0, 0, 0));
        c.add(new Command(0x17, NO_SA, "RELEASE(6)", ACCESS_RESERVATION, 0x17, 0, 0, 0, 0, 0));
        c.add(new Command(0x1A, NO_SA, "MODE SENSE(6)", ACCESS_READ, 0x1A, 0x08, 0xFF, 0xFF, 0xFF, 0));
        c.add(new Command(0x1B, NO_SA, "START STOP UNIT", ACCESS_WRITE, 0x1B, 0x01, 0, 0x0F, 0xF7, 0));
        c.add(new Command(0x1E, NO_SA, "PREVENT ALLOW MEDIUM REMOVAL", ACCESS_WRITE, 0x1E, 0, 0, 0, 0x03, 0));
        c.add(new Command(0x25, NO_SA, "READ CAPACITY(10)", ACCESS_INFO, 0x25, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0x01, 0));
        c.add(new Command(0x28, NO_SA, "READ(10)", ACCESS_READ, 0x28, 0xFA, 0xFF, 0xFF, 0xFF, 0xFF, 0x1F, 0xFF, 0xFF, 0));
        c.add(new Command(0x2A, NO_SA, "WRITE(10)", ACCESS_WRITE, 0x2A, 0xFA, 0xFF, 0xFF, 0xFF, 0xFF, 0x1F, 0xFF, 0xFF, 0));
        c.add(new Command(0x2E, NO_SA, "WRITE AND VERIFY(10)", ACCESS_WRITE, 0x2E, 0xF6, 0xFF, 0xFF, 0xFF, 0xFF, 0x1F, 0xFF, 0xFF, 0));
        c.add(new Command(0x2F, NO_SA, "VERIFY(10)", ACCESS_READ, 0x2F, 0xF6, 0xFF, 0xFF, 0xFF, 0xFF, 0x1F, 0xFF, 0xFF, 0));
        c.add(new Command(0x34, NO_SA, "PRE-FETCH(10)", ACCESS_READ, 0x34, 0x02, 0xFF, 0xFF, 0xFF, 0xFF, 0x1F, 0xFF, 0xFF, 0));
        c.add(new Command(0x35, NO_SA, "SYNCHRONIZE CACHE(10)", ACCESS_WRITE, 0x35, 0x06, 0xFF, 0xFF, 0xFF, 0xFF, 0x1F, 0xFF, 0xFF, 0));
        c.add(new Command(0x37, NO_SA, "READ DEFECT DATA(10)", ACCESS_READ, 0x37, 0, 0x1F, 0, 0, 0, 0, 0xFF, 0xFF, 0));
        c.add(new Command(0x41, NO_SA, "WRITE SAME(10)", ACCESS_WRITE, 0x41, 0xF8, 0xFF, 0xFF, 0xFF, 0xFF, 0x1F, 0xFF, 0xFF, 0));
        c.add(new Command(0x42, NO_SA, "UNMAP", ACCESS_WRITE, 0x42, 0x01, 0, 0, 0, 0, 0x1F, 0xFF, 0xFF, 0));
        c.add(new Command(0x55, NO_SA, "MODE SELECT(10)", ACCESS_WRITE, 0x55, 0x11, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0));
        c.add(new Command(0x5A, NO_SA, "MODE SENSE(10)", ACCESS_READ, 0x5A, 0x18, 0xFF, 0xFF, 0, 0, 0, 0xFF, 0xFF, 0));
        for (int sa = 0; sa <= 3; sa++) {
            c.add(new Command(0x5E, sa, "PERSISTENT RESERVE IN", ACCESS_INFO, 0x5E, 0x1F, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0));
        }
        for (int sa = 0; sa <= 7; sa++) {
            c.add(new Command(0x5F, sa, "PERSISTENT RESERVE OUT", ACCESS_RESERVATION, 0x5F, 0x1F, 0xFF, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0));
        }
        int[] lba8 = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};
        c.add(new Command(0x83, 0x00, "EXTENDED COPY(LID1)", ACCESS_WRITE,
                0x83, 0x1F, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0));
        c.add(new Command(0x84, 0x00, "RECEIVE COPY RESULTS: COPY STATUS", ACCESS_INFO,
                0x84, 0x1F, 0xFF, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0));
        c.add(new Command(0x84, 0x03, "RECEIVE COPY RESULTS: OPERATING PARAMETERS", ACCESS_INFO,
                0x84, 0x1F, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0));
        c.add(new Command(0x88, NO_SA, "READ(16)", ACCESS_READ, cat(new int[]{0x88, 0xFA}, lba8, new int[]{0xFF, 0xFF, 0xFF, 0xFF, 0x1F, 0})));
        c.add(new Command(0x89, NO_SA, "COMPARE AND WRITE", ACCESS_WRITE, cat(new int[]{0x89, 0xF8}, lba8, new int[]{0, 0, 0, 0xFF, 0x1F, 0})));
        c.add(new Command(0x8A, NO_SA, "WRITE(16)", ACCESS_WRITE, cat(new int[]{0x8A, 0xFA}, lba8, new int[]{0xFF, 0xFF, 0xFF, 0xFF, 0x1F, 0})));
        c.add(new Command(0x8B, NO_SA, "ORWRITE(16)", ACCESS_WRITE, cat(new int[]{0x8B, 0xF8}, lba8, new int[]{0xFF, 0xFF, 0xFF, 0xFF, 0x1F, 0})));
        c.add(new Command(0x8E, NO_SA, "WRITE AND VERIFY(16)", ACCESS_WRITE, cat(new int[]{0x8E, 0xF6}, lba8, new int[]{0xFF, 0xFF, 0xFF, 0xFF, 0x1F, 0})));
        c.add(new Command(0x8F, NO_SA, "VERIFY(16)", ACCESS_READ, cat(new int[]{0x8F, 0xF6}, lba8, new int[]{0xFF, 0xFF, 0xFF, 0xFF, 0x1F, 0})));
        c.add(new Command(0x90, NO_SA, "PRE-FETCH(16)", ACCESS_READ, cat(new int[]{0x90, 0x02}, lba8, new int[]{0xFF, 0xFF, 0xFF, 0xFF, 0x1F, 0})));
        c.add(new Command(0x91, NO_SA, "SYNCHRONIZE CACHE(16)", ACCESS_WRITE, cat(new int[]{0x91, 0x06}, lba8, new int[]{0xFF, 0xFF, 0xFF, 0xFF, 0x1F, 0})));
        c.add(new Command(0x93, NO_SA, "WRITE SAME(16)", ACCESS_WRITE, cat(new int[]{0x93, 0xF9}, lba8, new int[]{0xFF, 0xFF, 0xFF, 0xFF, 0x1F, 0})));
        c.add(new Command(0x9C, NO_SA, "WRITE ATOMIC(16)", ACCESS_WRITE, cat(new int[]{0x9C, 0xF8}, lba8, new int[]{0, 0, 0xFF, 0xFF, 0x1F, 0})));
        c.add(new Command(0x9E, OpCodes.SA_READ_CAPACITY_16, "READ CAPACITY(16)", ACCESS_INFO, cat(new int[]{0x9E, 0x1F}, lba8, new int[]{0xFF, 0xFF, 0xFF, 0xFF, 0x01, 0})));
        c.add(new Command(0x9E, OpCodes.SA_GET_LBA_STATUS, "GET LBA STATUS", ACCESS_READ, cat(new int[]{0x9E, 0x1F}, lba8, new int[]{0xFF, 0xFF, 0xFF, 0xFF, 0, 0})));
        c.add(new Command(0xA0, NO_SA, "REPORT LUNS", ACCESS_ANY, 0xA0, 0, 0xFF, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0));
        c.add(new Command(0xA3, OpCodes.SA_REPORT_SUPPORTED_OPCODES, "REPORT SUPPORTED OPERATION CODES", ACCESS_INFO,
                0xA3, 0x1F, 0x87, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0));
        Command rtpg = new Command(0xA3, ReportTargetPortGroupsDescriptor.SERVICE_ACTION, "REPORT TARGET PORT GROUPS",
                ACCESS_INFO, 0xA3, 0xFF, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0);
        rtpg.aluaOnly = true;
        c.add(rtpg);
        Command stpg = new Command(0xA4, io.evasan.scsi.cdb.SetTargetPortGroupsDescriptor.SERVICE_ACTION,
                "SET TARGET PORT GROUPS", ACCESS_WRITE, 0xA4, 0x1F, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0);
        stpg.aluaOnly = true;
        stpg.explicitOnly = true;
        c.add(stpg);
        c.add(new Command(0xA8, NO_SA, "READ(12)", ACCESS_READ, 0xA8, 0xFA, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x1F, 0));
        c.add(new Command(0xAA, NO_SA, "WRITE(12)", ACCESS_WRITE, 0xAA, 0xFA, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x1F, 0));
        c.add(new Command(0xAE, NO_SA, "WRITE AND VERIFY(12)", ACCESS_WRITE, 0xAE, 0xF6, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x1F, 0));
        c.add(new Command(0xAF, NO_SA, "VERIFY(12)", ACCESS_READ, 0xAF, 0xF6, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x1F, 0));
        c.add(new Command(0xB7, NO_SA, "READ DEFECT DATA(12)", ACCESS_READ, 0xB7, 0x1F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0));
        for (Command cmd : c) {
            cmd.strictReserved = STRICT_RESERVED.contains(
                    cmd.serviceAction == NO_SA ? cmd.opcode : cmd.opcode << 8 | cmd.serviceAction);
        }
        COMMANDS = Collections.unmodifiableList(c);
        for (Command cmd : c) {
            if (BY_OPCODE[cmd.opcode] == null) {
                BY_OPCODE[cmd.opcode] = cmd;
            }
        }
    }

    private CommandTable() {
    }

    private static int[] cat(int[]... parts) {
        int n = 0;
        for (int[] p : parts) {
            n += p.length;
        }
        int[] r = new int[n];
        int i = 0;
        for (int[] p : parts) {
            System.arraycopy(p, 0, r, i, p.length);
            i += p.length;
        }
        return r;
    }

    /** CDB length of an implemented opcode (service actions of one opcode share it), else 6. */
    static int cdbLength(int opcode) {
        Command c = BY_OPCODE[opcode & 0xFF];
        return c == null ? 6 : c.cdbLength();
    }

    /**
     * The first reserved bit set in bytes 1..n-2 of a CDB of a {@linkplain Command#strictReserved
     * strict} command, as {@code byte << 3 | bit} (highest bit of the lowest byte first), or -1.
     * The CONTROL byte is checked separately ({@link #CONTROL_MUST_BE_ZERO}). An
     * {@linkplain Command#aluaOnly ALUA-only} command counts only when {@code alua}.
     */
    static int reservedBitSet(byte[] cdb, boolean alua) {
        int op = cdb[0] & 0xFF;
        Command c = hasServiceActions(op) ? find(op, cdb[1] & 0x1F) : BY_OPCODE[op];
        if (c == null || !c.strictReserved || (c.aluaOnly && !alua)) {
            return -1;
        }
        for (int i = 1; i < c.usage.length - 1; i++) {
            int bad = cdb[i] & ~c.usage[i] & 0xFF;
            if (bad != 0) {
                return i << 3 | (31 - Integer.numberOfLeadingZeros(bad));
            }
        }
        return -1;
    }

    static boolean implemented(int opcode) {
        return BY_OPCODE[opcode & 0xFF] != null;
    }

    static boolean hasServiceActions(int opcode) {
        return opcode == 0x5E || opcode == 0x5F || opcode == 0x83 || opcode == 0x84 || opcode == 0x9E || opcode == 0xA3 || opcode == 0xA4;
    }

    /** The command for opcode (+ service action when the opcode has them), or null. */
    static Command find(int opcode, int serviceAction) {
        for (Command c : COMMANDS) {
            if (c.opcode == opcode && (c.serviceAction == NO_SA || c.serviceAction == serviceAction)) {
                return c;
            }
        }
        return null;
    }

    /** Access class of a (non-vendor) CDB; ACCESS_WRITE for unknown opcodes. */
    static int access(byte[] cdb) {
        int op = cdb[0] & 0xFF;
        Command c = BY_OPCODE[op];
        if (c == null) {
            return ACCESS_WRITE;
        }
        if (op == OpCodes.PREVENT_ALLOW_MEDIUM_REMOVAL && (cdb.length < 5 || (cdb[4] & 0x03) == 0)) {
            return ACCESS_INFO; // SPC-4 table 56: PREVENT=0 is allowed under every reservation type
        }
        if (hasServiceActions(op)) {
            Command s = find(op, cdb[1] & 0x1F);
            return s == null ? c.access : s.access;
        }
        return c.access;
    }
}
