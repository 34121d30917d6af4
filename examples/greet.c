/*
 * greet: the smallest program that uses libdlc-client — asks a dlc core to
 * greet a name and prints the answer, or the error with its reason.
 *
 *   cc greet.c $(pkg-config --cflags --libs dlc-client) -o greet
 *   ./greet tcp://127.0.0.1:7070 ann        → Hello ann!
 *
 * Exit status: 0, or the call's status code (14 when no core answers).
 */
#include <dlc/client.h>
#include <dlc/v1/greet.pb-c.h>

#include <stdio.h>

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: greet URL NAME\n");
        return 64;
    }
    const char *urls[] = {argv[1]};
    dlc_client_opts opts = {.urls = urls, .n_urls = 1, .default_timeout_ms = 2000};
    dlc_client *client = NULL;
    char err[256];
    if (dlc_client_open(&opts, &client, err, sizeof err) != 0) {
        fprintf(stderr, "greet: %s\n", err);
        return 1;
    }
    Dlc__V1__GreetRequest in = DLC__V1__GREET_REQUEST__INIT;
    in.name = argv[2];
    dlc_client_request rq = {.method = "dlc.v1.GreetService/Greet", .input = &in.base};
    dlc_client_reply reply;
    dlc_client_call(client, &rq, &reply);
    ProtobufCMessage *out = dlc_client_reply_unpack(&reply, &dlc__v1__greet_response__descriptor);
    int rc = (int)reply.status.code;
    if (out)
        printf("%s\n", ((Dlc__V1__GreetResponse *)out)->message);
    else
        fprintf(stderr, "greet: %s (%s): %s\n", dlc_code_name(reply.status.code),
                dlc_status_reason(&reply.status), reply.status.message);
    protobuf_c_message_free_unpacked(out, NULL);
    dlc_client_reply_free(&reply);
    dlc_client_close(client);
    return rc;
}
