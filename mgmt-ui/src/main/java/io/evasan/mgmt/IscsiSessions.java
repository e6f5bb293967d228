package io.evasan.mgmt;

import java.util.List;

/**
 * The live iSCSI sessions of the cell's portals, as management shows them (the appliance wires it to its portals;
 * mgmt-ui does not depend on the iscsi module). Invariant: a snapshot of normal sessions in full feature phase,
 * discovery sessions left out; implementations are thread-safe.
 */
public interface IscsiSessions {
    /**
     * One session. {@code nsc} the controller whose portal it logged in to ("A" / "B"), {@code relativePort} that
     * portal's relative target port id; {@code unansweredPingMillis} how long the target's NOP-In ping has waited for
     * the initiator's answer (0: none outstanding). The rest as negotiated at login.
     */
    record Session(String nsc, int relativePort, String initiatorName, String isid, int tsih, String targetName,
                   String portal, String remoteAddress, long loginEpochMillis, boolean chap, boolean mutualChap,
                   boolean headerDigest, boolean dataDigest, long unansweredPingMillis) {
    }

    /** Every live session, by portal, then oldest login first. */
    List<Session> sessions();
}
