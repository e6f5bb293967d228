package io.evasan.fabric.link;

import io.evasan.fabric.frame.EncapsulationDescriptor;
import io.evasan.fabric.frame.Frame;

/**
 * One end of a point-to-point link (an N_Port's or a switch port's side of the cable). It carries
 * encapsulated frames ({@link EncapsulationDescriptor}) as bytes, so malformed input can be sent
 * on purpose. Invariants: frames sent from one end arrive at the other in the order sent, or not
 * at all (link down, injected loss); {@link #send} never blocks on the peer and never throws for
 * a down link (the frame is lost, as on a cable); the receiver is called from one thread per end
 * at a time.
 */
public interface LinkEnd {

    /** Sends one encapsulated frame; lost when the link is down or a fault drops it. */
    void send(byte[] encapsulated);

    /** Encapsulates {@code f} (SOFi3/EOFt) and sends it. */
    default void send(Frame f) {
        send(EncapsulationDescriptor.encode(f));
    }

    /** Installs the receiver; frames that arrive while none is installed are lost. */
    void receiver(Receiver r);

    boolean isUp();

    /** What a link end delivers: frames and link state changes, in order. */
    interface Receiver {
        void received(byte[] encapsulated);

        /** The link came up (or up again); called once per transition. */
        void linkUp();

        /** The link went down; called once per transition. */
        void linkDown();
    }
}
