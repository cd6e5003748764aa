/* input: being written */
#include "ptcp/ptcp.h"
typedef int ptcp_stub_input;
