import gzip, numpy as np, torch, time
from torch import nn
D='/work/shared/data/mnist/'
def idx(name):
    with gzip.open(D+name) as f: b=f.read()
    if b[2:4]==b'\x08\x03': n,r,c=np.frombuffer(b[4:16],'>i4'); return np.frombuffer(b[16:],np.uint8).reshape(n,r*c)
    return np.frombuffer(b[8:],np.uint8)
Xtr,ytr=idx('train-images-idx3-ubyte.gz'),idx('train-labels-idx1-ubyte.gz')
Xte,yte=idx('t10k-images-idx3-ubyte.gz'),idx('t10k-labels-idx1-ubyte.gz')
def protocol(seed, counts={1:1,2:300,3:300}):
    rng=np.random.default_rng(seed); idxs=[]
    for d,c in counts.items(): idxs.append(rng.choice(np.flatnonzero(ytr==d), c, replace=False))
    i=np.concatenate(idxs); return Xtr[i].astype(np.float32), ytr[i].astype(np.int64)
m=np.isin(yte,[1,2,3]); Xtest,ytest=Xte[m].astype(np.float32),yte[m].astype(np.int64)
class SmallCNN(nn.Module):
    def __init__(s,k=3):
        super().__init__(); s.net=nn.Sequential(nn.Conv2d(1,16,3,padding=1),nn.ReLU(),nn.MaxPool2d(2),nn.Conv2d(16,32,3,padding=1),nn.ReLU(),nn.MaxPool2d(2),nn.Flatten(),nn.Linear(32*7*7,64),nn.ReLU(),nn.Dropout(0.3),nn.Linear(64,k))
    def forward(s,x): return s.net(x)
def train_eval(X,y,seed,epochs=15):
    from sklearn.metrics import balanced_accuracy_score, accuracy_score, recall_score
    classes=np.unique(y); yy=np.searchsorted(classes,y)
    torch.manual_seed(seed); net=SmallCNN(len(classes)); opt=torch.optim.Adam(net.parameters(),1e-3)
    Xt=torch.tensor(X/255.,dtype=torch.float32).view(-1,1,28,28); yt=torch.tensor(yy)
    g=torch.Generator().manual_seed(seed)
    for ep in range(epochs):
        net.train(); p=torch.randperm(len(Xt),generator=g)
        for i in range(0,len(p),64):
            b=p[i:i+64]; loss=nn.functional.cross_entropy(net(Xt[b]),yt[b]); opt.zero_grad(); loss.backward(); opt.step()
    net.eval()
    with torch.no_grad(): pred=classes[net(torch.tensor(Xtest/255.).float().view(-1,1,28,28)).argmax(1).numpy()]
    return balanced_accuracy_score(ytest,pred), recall_score(ytest,pred,labels=[1],average=None)[0]
