package io.evasan.iscsi;

/**
 * One live normal session of a portal, as an operator's {@code sessions} view shows it (targetcli's
 * {@code sessions detail}): who logged in, through which portal, when, how it authenticated and what it negotiated.
 * A snapshot: the session may end right after it was taken.
 *
 * @param initiatorName        the InitiatorName key of the login
 * @param isid                 the initiator session id, 12 hex digits
 * @param tsih                 the target session identifying handle this target assigned
 * @param targetName           the target node logged in to
 * @param portal               this portal's local address, {@code host:port}
 * @param remoteAddress        the initiator's address, {@code host:port}
 * @param loginEpochMillis     when the session entered full feature phase (wall clock)
 * @param chap                 true when the initiator authenticated with CHAP (AuthMethod=None otherwise)
 * @param mutualChap           true when the target authenticated itself to the initiator too
 * @param headerDigest         CRC32C header digests negotiated
 * @param dataDigest           CRC32C data digests negotiated
 * @param unansweredPingMillis how long the target's NOP-In ping has waited for its answer (0: none outstanding): the
 *                             initiator fell silent; the connection closes when it reaches the NOP-In timeout
 */
public record IscsiSession(String initiatorName, String isid, int tsih, String targetName, String portal,
                           String remoteAddress, long loginEpochMillis, boolean chap, boolean mutualChap,
                           boolean headerDigest, boolean dataDigest, long unansweredPingMillis) {
    /** The same session with {@code ms} as its unanswered ping time. */
    public IscsiSession withUnansweredPingMillis(long ms) {
        return new IscsiSession(initiatorName, isid, tsih, targetName, portal, remoteAddress, loginEpochMillis, chap,
                mutualChap, headerDigest, dataDigest, ms);
    }
}
