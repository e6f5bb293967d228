package io.evasan.iscsi.impl;

import io.evasan.iscsi.pdu.BhsDescriptor;
import io.evasan.iscsi.pdu.Pdu;

import java.util.TreeMap;
import java.util.function.BooleanSupplier;

import static io.evasan.iscsi.pdu.BhsDescriptor.*;

/**
 * The CmdSN window of one session (MaxConnections=1, so of one {@link IscsiConnection}): ExpCmdSN,
 * MaxCmdSN and the order in which commands reach the connection. Confined to the connection's event
 * loop (no locks).
 *
 * <p>Invariants (RFC 7143 3.2.2.1, 4.2.2.1; serial-number arithmetic throughout): an immediate
 * command is delivered at once and does not advance ExpCmdSN; a non-immediate command is delivered
 * only when its CmdSN equals ExpCmdSN, which then advances by one, so non-immediate commands are
 * delivered exactly once each, in CmdSN order; one that arrives ahead of ExpCmdSN but within
 * MaxCmdSN is held (a copy, at most {@code commandWindow} of them) until the gap fills, while
 * delivery is open; one outside [ExpCmdSN, MaxCmdSN] is dropped silently; MaxCmdSN never moves
 * backwards and is published as ExpCmdSN + window - 1 - min(outstanding commands, window - 1).
 */
final class CmdSnWindow {
    /** Where commands in order go. */
    interface Delivery {
        void deliver(Pdu p, int cmdSN);
    }

    private final int window;
    private final Delivery delivery;
    /** False once the connection stops taking commands (logout, close): held commands stay held. */
    private final BooleanSupplier open;
    private int expCmdSN;
    private int maxCmdSN;
    private final TreeMap<Integer, Pdu> waitingCmdSN = new TreeMap<>(BhsDescriptor::compareSerial);

    CmdSnWindow(int window, Delivery delivery, BooleanSupplier open) {
        this.window = window;
        this.delivery = delivery;
        this.open = open;
    }

    /** The first Login Request's CmdSN opens the window. */
    void start(int cmdSN) {
        expCmdSN = cmdSN;
        maxCmdSN = expCmdSN + window - 1;
    }

    int expCmdSN() {
        return expCmdSN;
    }

    /** MaxCmdSN as last published (login responses, which publish no outstanding commands). */
    int maxCmdSN() {
        return maxCmdSN;
    }

    /** MaxCmdSN to put in the next PDU, given the commands the connection holds now. */
    int publishMaxCmdSN(int outstanding) {
        int candidate = expCmdSN + window - 1 - Math.min(outstanding, window - 1);
        if (snLessThan(maxCmdSN, candidate)) {
            maxCmdSN = candidate;
        }
        return maxCmdSN;
    }

    /** A command PDU from the initiator: delivered now, held for its turn, or dropped. */
    void gate(Pdu p) {
        int cmdSN = p.u32(CMDSN_OFFSET);
        if (p.immediate()) {
            delivery.deliver(p, cmdSN);
            return;
        }
        if (cmdSN == expCmdSN) {
            expCmdSN++;
            delivery.deliver(p, cmdSN);
            drainWaiting();
            return;
        }
        if (snLessThan(expCmdSN, cmdSN) && snLessOrEqual(cmdSN, maxCmdSN) && waitingCmdSN.size() < window) {
            // in the window but ahead of ExpCmdSN: hold until the gap fills
            waitingCmdSN.putIfAbsent(cmdSN, p.copy());
        }
        // outside the window: silently ignored (RFC 7143 4.2.2.1)
    }

    private void drainWaiting() {
        while (!waitingCmdSN.isEmpty() && open.getAsBoolean()) {
            Pdu next = waitingCmdSN.remove(expCmdSN);
            if (next == null) {
                // drop entries that fell behind
                while (!waitingCmdSN.isEmpty() && snLessThan(waitingCmdSN.firstKey(), expCmdSN)) {
                    waitingCmdSN.pollFirstEntry();
                }
                return;
            }
            expCmdSN++;
            delivery.deliver(next, next.u32(CMDSN_OFFSET));
        }
    }

    /**
     * Drops the held (received out of order, not yet delivered) command with this CmdSN and task
     * tag; true if there was one: it is aborted by never running.
     */
    boolean removeHeld(int cmdSN, int itt) {
        Pdu held = waitingCmdSN.get(cmdSN);
        if (held != null && held.itt() == itt) {
            waitingCmdSN.remove(cmdSN);
            return true;
        }
        return false;
    }

    /**
     * RFC 7143 11.5.1: a command not yet received whose CmdSN is below that of a task management
     * request ({@code tmfCmdSN}) is considered received, and thus complete.
     */
    boolean consideredReceived(int refCmdSN, int tmfCmdSN) {
        return !snLessThan(refCmdSN, expCmdSN) && snLessThan(refCmdSN, tmfCmdSN);
    }

    /** The connection closed: held commands are dropped. */
    void clear() {
        waitingCmdSN.clear();
    }
}
