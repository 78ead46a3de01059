// COMPILE-ONLY STUB of AD FS's Microsoft.IdentityServer.ClaimsPolicy.Engine.AttributeStore types, with
// the documented signatures (IAttributeStore: learn.microsoft.com/previous-versions/adfs-2.0/ee914056;
// the exceptions: .../ee913790). AD FS's own Microsoft.IdentityServer.ClaimsPolicy.dll (C:\Windows\ADFS)
// is not available on Linux; this stub lets CI compile and run the shim under Mono. Never deploy it:
// on an AD FS server, build against the real assembly (see README.md).
using System;
using System.Collections.Generic;
using System.Runtime.Serialization;

namespace Microsoft.IdentityServer.ClaimsPolicy.Engine.AttributeStore
{
    public interface IAttributeStore
    {
        IAsyncResult BeginExecuteQuery(string query, string[] parameters, AsyncCallback callback, object state);
        string[][] EndExecuteQuery(IAsyncResult result);
        void Initialize(Dictionary<string, string> config);
    }

    [Serializable]
    public abstract class AttributeStoreException : Exception
    {
        protected AttributeStoreException() { }
        protected AttributeStoreException(string message) : base(message) { }
        protected AttributeStoreException(string message, Exception innerException) : base(message, innerException) { }
        protected AttributeStoreException(SerializationInfo info, StreamingContext context) : base(info, context) { }
    }

    [Serializable]
    public class AttributeStoreInvalidConfigurationException : AttributeStoreException
    {
        public AttributeStoreInvalidConfigurationException() { }
        public AttributeStoreInvalidConfigurationException(string message) : base(message) { }
        public AttributeStoreInvalidConfigurationException(string message, Exception innerException) : base(message, innerException) { }
        protected AttributeStoreInvalidConfigurationException(SerializationInfo info, StreamingContext context) : base(info, context) { }
    }

    [Serializable]
    public class AttributeStoreQueryFormatException : AttributeStoreException
    {
        public AttributeStoreQueryFormatException() { }
        public AttributeStoreQueryFormatException(string message) : base(message) { }
        public AttributeStoreQueryFormatException(string message, Exception innerException) : base(message, innerException) { }
        protected AttributeStoreQueryFormatException(SerializationInfo info, StreamingContext context) : base(info, context) { }
    }

    [Serializable]
    public class AttributeStoreQueryExecutionException : AttributeStoreException
    {
        public AttributeStoreQueryExecutionException() { }
        public AttributeStoreQueryExecutionException(string message) : base(message) { }
        public AttributeStoreQueryExecutionException(string message, Exception innerException) : base(message, innerException) { }
        protected AttributeStoreQueryExecutionException(SerializationInfo info, StreamingContext context) : base(info, context) { }
    }
}
