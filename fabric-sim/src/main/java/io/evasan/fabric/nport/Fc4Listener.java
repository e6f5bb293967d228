package io.evasan.fabric.nport;

import io.evasan.fabric.frame.Frame;

/**
 * The FC-4 (FCP) layer above an {@link NPort}. Called on the port's receive thread, one call at a
 * time; implementations must not block it for long.
 */
public interface Fc4Listener {

    /** A frame of TYPE FCP, or an ABTS, addressed to this port. */
    void frame(Frame f);

    /** {@code remoteId} (WWPN {@code remoteWwpn}, known from its PLOGI) established an FCP image pair (PRLI accepted). */
    default void processLogin(int remoteId, long remoteWwpn) {
    }

    /** The image pair with {@code remoteId} is gone (PRLO, LOGO); {@code -1}: all of them (link down). */
    default void processLogout(int remoteId) {
    }
}
